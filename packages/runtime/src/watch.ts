// A watch channel, as tokio::sync::watch: one current value, many receivers that wait for it to
// change; a receiver sees only the latest value, never a backlog.
import { ClosedError } from "./errors.ts";
import { Resource } from "./resource.ts";
import { armCancel, Waiter, WaitQueue } from "./waitqueue.ts";

class Shared<T> {
  value: T;
  version = 0;
  senderAlive = true;
  receivers = 1;
  readonly waiters = new WaitQueue<void>();
  readonly res: Resource;
  constructor(value: T) {
    this.value = value;
    this.res = new Resource({
      target: "tokio::sync::watch",
      concreteType: "watch::Sender|Receiver",
      kind: "Sync",
      caller: watch,
    });
    this.res.update("version", 0, "override");
    this.res.update("rx_count", 1, "override");
    this.res.update("tx_dropped", false);
  }
  wakeAll(): void {
    for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) w.fulfil();
  }
  maybeClose(): void {
    if (!this.senderAlive && this.receivers === 0) this.res.close();
  }
}

const TX = new FinalizationRegistry<Shared<unknown>>((s) => dropTx(s));
const RX = new FinalizationRegistry<{ s: Shared<unknown>; dropped: boolean }>((st) => dropRx(st));

function dropTx(s: Shared<unknown>): void {
  if (!s.senderAlive) return;
  s.senderAlive = false;
  s.res.update("tx_dropped", true);
  s.wakeAll();
  s.maybeClose();
}

function dropRx(st: { s: Shared<unknown>; dropped: boolean }): void {
  if (st.dropped) return;
  st.dropped = true;
  st.s.receivers--;
  st.s.res.update("rx_count", 1, "sub");
  st.s.maybeClose();
}

export class WatchSender<T> {
  readonly #s: Shared<T>;
  constructor(s: Shared<T>) {
    this.#s = s;
    TX.register(this, s as Shared<unknown>, this);
  }

  /** Replaces the value and notifies receivers; throws ClosedError (value kept out) if none are left. */
  send(value: T): void {
    if (this.#s.receivers === 0) throw new ClosedError("watch send: there are no receivers", value);
    this.sendReplace(value);
  }

  /** Replaces the value even without receivers; returns the old one. */
  sendReplace(value: T): T {
    const s = this.#s;
    if (!s.senderAlive) throw new ClosedError("send on a closed watch Sender", value);
    const old = s.value;
    s.value = value;
    s.version++;
    s.res.update("version", 1, "add");
    s.wakeAll();
    return old;
  }

  /**
   * Changes the value in place (tokio's send_if_modified): receivers are notified unless fn
   * returns false. Works without receivers; throws ClosedError after close().
   */
  sendModify(fn: (value: T) => unknown): void {
    const s = this.#s;
    if (!s.senderAlive) throw new ClosedError("sendModify on a closed watch Sender");
    if (fn(s.value) === false) return;
    s.version++;
    s.res.update("version", 1, "add");
    s.wakeAll();
  }

  borrow(): T {
    return this.#s.value;
  }

  subscribe(): WatchReceiver<T> {
    const s = this.#s;
    s.receivers++;
    s.res.update("rx_count", 1, "add");
    return new WatchReceiver(s, s.version);
  }

  get receiverCount(): number {
    return this.#s.receivers;
  }

  close(): void {
    TX.unregister(this);
    dropTx(this.#s as Shared<unknown>);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export class WatchReceiver<T> {
  readonly #st: { s: Shared<unknown>; dropped: boolean };
  #seen: number;

  constructor(s: Shared<T>, seen: number) {
    this.#st = { s: s as Shared<unknown>, dropped: false };
    this.#seen = seen;
    RX.register(this, this.#st, this);
  }

  /** The current value, without marking it seen. */
  borrow(): T {
    return this.#st.s.value as T;
  }

  /** The current value, marked seen. */
  borrowAndUpdate(): T {
    this.#seen = this.#st.s.version;
    return this.#st.s.value as T;
  }

  /** Whether a value newer than the last seen one was sent. Throws ClosedError if the sender is gone. */
  hasChanged(): boolean {
    const s = this.#st.s;
    if (!s.senderAlive) throw new ClosedError("watch hasChanged: the sender was dropped");
    return s.version !== this.#seen;
  }

  /** Waits for a value newer than the last seen one and marks it seen; ClosedError if the sender goes. */
  async changed(opts?: { signal?: AbortSignal }): Promise<void> {
    const s = this.#st.s;
    const op = s.res.op("Receiver::changed");
    try {
      for (let first = true; ; first = false) {
        if (s.version !== this.#seen) {
          this.#seen = s.version;
          op.poll("poll_changed", true);
          return;
        }
        if (!s.senderAlive) throw new ClosedError("watch changed: the sender was dropped");
        const w = new Waiter<void>(0);
        s.waiters.push(w);
        armCancel(w, opts?.signal, () => s.waiters.remove(w));
        if (first) op.poll("poll_changed", false);
        await w.promise;
      }
    } finally {
      op.close();
    }
  }

  clone(): WatchReceiver<T> {
    const s = this.#st.s as Shared<T>;
    s.receivers++;
    s.res.update("rx_count", 1, "add");
    return new WatchReceiver(s, this.#seen);
  }

  close(): void {
    RX.unregister(this);
    dropRx(this.#st);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export function watch<T>(initial: T): [WatchSender<T>, WatchReceiver<T>] {
  const s = new Shared(initial);
  return [new WatchSender(s), new WatchReceiver(s, 0)];
}
