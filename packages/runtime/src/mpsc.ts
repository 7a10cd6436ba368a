// Multi-producer single-consumer channels, as tokio::sync::mpsc: bounded (senders wait for room in
// FIFO order) and unbounded; the receiver sees `undefined` once every sender is gone and the
// buffer is drained. A sender or receiver that is garbage-collected counts as dropped.
import { Deque } from "./deque.ts";
import { ClosedError, invalidArgument } from "./errors.ts";
import type { Caller } from "./location.ts";
import { Resource } from "./resource.ts";
import { type AcquireOptions, checkPermitCount, Semaphore } from "./semaphore.ts";
import { armCancel, Waiter } from "./waitqueue.ts";

export type TryRecv<T> = { ok: true; value: T } | { ok: false; closed: boolean };

class Chan<T> {
  readonly queue = new Deque<T>();
  readonly sem: Semaphore | undefined;
  readonly res: Resource;
  senders = 1;
  rxClosed = false;
  rxWaiter: Waiter<T | undefined> | undefined;
  closedWaiters: (() => void)[] = [];

  constructor(capacity: number | undefined, caller: Caller) {
    this.res = new Resource({
      target: "tokio::sync::mpsc",
      concreteType:
        capacity === undefined
          ? "mpsc::UnboundedSender|UnboundedReceiver"
          : "mpsc::Sender|Receiver",
      kind: "Sync",
      caller,
    });
    if (capacity !== undefined) this.res.update("capacity", capacity);
    this.res.update("queued", 0, "override");
    this.res.update("tx_count", 1, "override");
    this.res.update("rx_closed", false);
    this.sem = capacity === undefined ? undefined : new Semaphore(capacity, { parent: this.res });
  }

  deliver(v: T): void {
    const w = this.rxWaiter;
    if (w !== undefined) {
      this.rxWaiter = undefined;
      this.sem?.release(1);
      w.fulfil(v);
      return;
    }
    this.queue.push(v);
    this.res.update("queued", 1, "add");
  }

  dropSender(): void {
    if (--this.senders > 0) {
      this.res.update("tx_count", 1, "sub");
      return;
    }
    this.res.update("tx_count", 1, "sub");
    const w = this.rxWaiter;
    this.rxWaiter = undefined;
    w?.fulfil(undefined);
    if (this.rxClosed) this.res.close();
  }

  closeRx(): void {
    if (this.rxClosed) return;
    this.rxClosed = true;
    this.res.update("rx_closed", true);
    this.sem?.close();
    for (const f of this.closedWaiters) f();
    this.closedWaiters = [];
    if (this.senders === 0) this.res.close();
  }
}

const SENDERS = new FinalizationRegistry<{ chan: Chan<unknown>; dropped: boolean }>((s) => {
  if (!s.dropped) {
    s.dropped = true;
    s.chan.dropSender();
  }
});
const RECEIVERS = new FinalizationRegistry<Chan<unknown>>((c) => c.closeRx());

function checkValue(v: unknown): void {
  if (v === undefined)
    throw invalidArgument(
      "channels cannot carry undefined: recv() uses it to say the channel is closed; send null instead",
    );
}

class SenderBase<T> {
  readonly #state: { chan: Chan<unknown>; dropped: boolean };

  constructor(chan: Chan<T>) {
    this.#state = { chan: chan as Chan<unknown>, dropped: false };
    SENDERS.register(this, this.#state, this);
  }

  protected get chan(): Chan<T> {
    if (this.#state.dropped) throw new ClosedError("send on a Sender that was closed");
    return this.#state.chan as Chan<T>;
  }

  /** True once the receiver is closed (sends will fail). */
  get isClosed(): boolean {
    return this.#state.chan.rxClosed;
  }

  /** Resolves when the receiver is closed or dropped. */
  closed(): Promise<void> {
    const c = this.#state.chan;
    if (c.rxClosed) return Promise.resolve();
    return new Promise((resolve) => c.closedWaiters.push(resolve));
  }

  /** Drops this sender; when the last one goes, the receiver drains and then sees undefined. */
  close(): void {
    if (this.#state.dropped) return;
    this.#state.dropped = true;
    SENDERS.unregister(this);
    this.#state.chan.dropSender();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  protected cloneState(): Chan<T> {
    const c = this.chan;
    c.senders++;
    c.res.update("tx_count", 1, "add");
    return c;
  }
}

export class Sender<T> extends SenderBase<T> {
  /** Waits for room (FIFO among senders), then queues the value; fails if the receiver is gone. */
  async send(value: T, opts?: AcquireOptions): Promise<void> {
    checkValue(value);
    const c = this.chan;
    if (c.rxClosed) throw new ClosedError("send", value);
    const op = c.res.op("Sender::send");
    try {
      await (c.sem as Semaphore).take(1, opts?.signal, op, "poll_reserve");
    } catch (e) {
      if (c.rxClosed) throw new ClosedError("send", value);
      throw e;
    }
    c.deliver(value);
  }

  /** Queues the value now if there is room; false when full. Throws ClosedError when closed. */
  trySend(value: T): boolean {
    checkValue(value);
    const c = this.chan;
    if (c.rxClosed) throw new ClosedError("trySend", value);
    if (!(c.sem as Semaphore).tryTake(1)) return false;
    c.deliver(value);
    return true;
  }

  clone(): Sender<T> {
    return new Sender(this.cloneState());
  }
}

export class UnboundedSender<T> extends SenderBase<T> {
  /** Queues the value; never waits. Throws ClosedError when the receiver is gone. */
  send(value: T): void {
    checkValue(value);
    const c = this.chan;
    if (c.rxClosed) throw new ClosedError("send", value);
    c.deliver(value);
  }

  clone(): UnboundedSender<T> {
    return new UnboundedSender(this.cloneState());
  }
}

export class Receiver<T> implements AsyncIterable<T> {
  readonly #chan: Chan<T>;

  constructor(chan: Chan<T>) {
    this.#chan = chan;
    RECEIVERS.register(this, chan as Chan<unknown>, this);
  }

  /** The next value, or undefined once every sender is gone and the buffer is empty. */
  async recv(opts?: { signal?: AbortSignal }): Promise<T | undefined> {
    const c = this.#chan;
    const op = c.res.op("Receiver::recv");
    try {
      const r = this.tryRecv();
      if (r.ok || r.closed) {
        op.poll("poll_recv", true);
        return r.ok ? r.value : undefined;
      }
      if (c.rxWaiter !== undefined)
        throw invalidArgument(
          "recv() is already pending on this receiver; await it before calling again",
        );
      const w = new Waiter<T | undefined>(0);
      c.rxWaiter = w;
      armCancel(w, opts?.signal, () => {
        if (c.rxWaiter === w) c.rxWaiter = undefined;
      });
      op.poll("poll_recv", false);
      const v = await w.promise;
      op.poll("poll_recv", true);
      return v;
    } finally {
      op.close();
    }
  }

  tryRecv(): TryRecv<T> {
    const c = this.#chan;
    if (c.queue.size > 0) {
      const v = c.queue.shift() as T;
      c.res.update("queued", 1, "sub");
      if (!c.rxClosed) c.sem?.release(1);
      return { ok: true, value: v };
    }
    return { ok: false, closed: c.senders === 0 || (c.rxClosed && c.queue.size === 0) };
  }

  /** Number of values buffered. */
  get length(): number {
    return this.#chan.queue.size;
  }

  /** Stops accepting values; those already queued can still be received. */
  close(): void {
    RECEIVERS.unregister(this);
    this.#chan.closeRx();
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

/** A bounded channel: send() waits while `capacity` values are queued. */
export function channel<T>(capacity: number): [Sender<T>, Receiver<T>] {
  checkPermitCount("channel capacity", capacity, 1);
  const chan = new Chan<T>(capacity, channel);
  return [new Sender(chan), new Receiver(chan)];
}

/** An unbounded channel: send() never waits (memory is the limit). */
export function unboundedChannel<T>(): [UnboundedSender<T>, UnboundedReceiver<T>] {
  const chan = new Chan<T>(undefined, unboundedChannel);
  return [new UnboundedSender(chan), new Receiver(chan)];
}

export type UnboundedReceiver<T> = Receiver<T>;
