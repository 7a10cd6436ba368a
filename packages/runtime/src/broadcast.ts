// A broadcast channel, as tokio::sync::broadcast: every receiver sees every value sent after it
// subscribed; a receiver that falls `capacity` values behind gets a LaggedError and skips ahead.
import { ClosedError, invalidArgument, RuntimeError } from "./errors.ts";
import { Resource } from "./resource.ts";
import { checkPermitCount } from "./semaphore.ts";
import { armCancel, Waiter, WaitQueue } from "./waitqueue.ts";

/** The receiver missed `skipped` values; the next recv() returns the oldest one still kept. */
export class LaggedError extends RuntimeError {
  readonly skipped: number;
  constructor(skipped: number) {
    super(
      "PERISCOPE_CHANNEL_LAGGED",
      `the receiver lagged behind and missed ${skipped} values; recv() again to continue`,
    );
    this.name = "LaggedError";
    this.skipped = skipped;
  }
}

class Shared<T> {
  readonly ring: (T | undefined)[];
  readonly cap: number;
  /** Sequence number of the next value to send. */
  tail = 0;
  senders = 1;
  receivers = 1;
  readonly waiters = new WaitQueue<void>();
  readonly res: Resource;

  constructor(cap: number) {
    this.cap = cap;
    this.ring = new Array(cap);
    this.res = new Resource({
      target: "tokio::sync::broadcast",
      concreteType: "broadcast::Sender|Receiver",
      kind: "Sync",
      caller: broadcast,
    });
    this.res.update("capacity", cap);
    this.res.update("tx_count", 1, "override");
    this.res.update("rx_count", 1, "override");
    this.res.update("sent", 0, "override");
  }

  wakeAll(): void {
    for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) w.fulfil();
  }

  maybeClose(): void {
    if (this.senders === 0 && this.receivers === 0) this.res.close();
  }
}

const TXS = new FinalizationRegistry<{ s: Shared<unknown>; dropped: boolean }>((st) =>
  dropSender(st),
);
const RXS = new FinalizationRegistry<{ s: Shared<unknown>; dropped: boolean }>((st) =>
  dropReceiver(st),
);

function dropSender(st: { s: Shared<unknown>; dropped: boolean }): void {
  if (st.dropped) return;
  st.dropped = true;
  st.s.senders--;
  st.s.res.update("tx_count", 1, "sub");
  if (st.s.senders === 0) st.s.wakeAll();
  st.s.maybeClose();
}

function dropReceiver(st: { s: Shared<unknown>; dropped: boolean }): void {
  if (st.dropped) return;
  st.dropped = true;
  st.s.receivers--;
  st.s.res.update("rx_count", 1, "sub");
  st.s.maybeClose();
}

export class BroadcastSender<T> {
  readonly #st: { s: Shared<unknown>; dropped: boolean };
  constructor(s: Shared<T>) {
    this.#st = { s: s as Shared<unknown>, dropped: false };
    TXS.register(this, this.#st, this);
  }

  /** Sends to every receiver; returns how many there are. Throws ClosedError when there are none. */
  send(value: T): number {
    if (value === undefined)
      throw invalidArgument("channels cannot carry undefined; send null instead");
    const s = this.#st.s as Shared<T>;
    if (this.#st.dropped) throw new ClosedError("send on a closed broadcast Sender", value);
    if (s.receivers === 0) throw new ClosedError("broadcast send: there are no receivers", value);
    s.ring[s.tail % s.cap] = value;
    s.tail++;
    s.res.update("sent", 1, "add");
    s.wakeAll();
    return s.receivers;
  }

  /** A new receiver that sees values sent from now on. */
  subscribe(): BroadcastReceiver<T> {
    const s = this.#st.s as Shared<T>;
    s.receivers++;
    s.res.update("rx_count", 1, "add");
    return new BroadcastReceiver(s, s.tail);
  }

  get receiverCount(): number {
    return this.#st.s.receivers;
  }

  clone(): BroadcastSender<T> {
    const s = this.#st.s as Shared<T>;
    s.senders++;
    s.res.update("tx_count", 1, "add");
    return new BroadcastSender(s);
  }

  /** Drops this sender; receivers see undefined after the last one goes and they catch up. */
  close(): void {
    TXS.unregister(this);
    dropSender(this.#st);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export class BroadcastReceiver<T> implements AsyncIterable<T> {
  readonly #st: { s: Shared<unknown>; dropped: boolean };
  #next: number;

  constructor(s: Shared<T>, next: number) {
    this.#st = { s: s as Shared<unknown>, dropped: false };
    this.#next = next;
    RXS.register(this, this.#st, this);
  }

  /** The next value; undefined when every sender is gone and nothing is left; LaggedError if it fell behind. */
  async recv(opts?: { signal?: AbortSignal }): Promise<T | undefined> {
    const s = this.#st.s as Shared<T>;
    const op = s.res.op("Receiver::recv");
    try {
      for (let first = true; ; first = false) {
        const r = this.tryRecv();
        if (r.ok || r.closed) {
          op.poll("poll_recv", true);
          return r.ok ? r.value : undefined;
        }
        const w = new Waiter<void>(0);
        s.waiters.push(w);
        armCancel(w, opts?.signal, () => s.waiters.remove(w));
        if (first) op.poll("poll_recv", false);
        await w.promise;
      }
    } finally {
      op.close();
    }
  }

  tryRecv(): { ok: true; value: T } | { ok: false; closed: boolean } {
    const s = this.#st.s as Shared<T>;
    if (this.#st.dropped) return { ok: false, closed: true };
    const oldest = s.tail - s.cap;
    if (this.#next < oldest) {
      const skipped = oldest - this.#next;
      this.#next = oldest;
      throw new LaggedError(skipped);
    }
    if (this.#next < s.tail) {
      const v = s.ring[this.#next % s.cap] as T;
      this.#next++;
      return { ok: true, value: v };
    }
    return { ok: false, closed: s.senders === 0 };
  }

  /** A new receiver starting at the current tail, as tokio's resubscribe. */
  resubscribe(): BroadcastReceiver<T> {
    const s = this.#st.s as Shared<T>;
    s.receivers++;
    s.res.update("rx_count", 1, "add");
    return new BroadcastReceiver(s, s.tail);
  }

  close(): void {
    RXS.unregister(this);
    dropReceiver(this.#st);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const v = await this.recv();
      if (v === undefined) return;
      yield v;
    }
  }
}

export function broadcast<T>(capacity: number): [BroadcastSender<T>, BroadcastReceiver<T>] {
  checkPermitCount("broadcast capacity", capacity, 1);
  const s = new Shared<T>(capacity);
  return [new BroadcastSender(s), new BroadcastReceiver(s, 0)];
}
