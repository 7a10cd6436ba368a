// A one-shot channel, as tokio::sync::oneshot: one value from one sender to one receiver; the
// receiver fails with ClosedError if the sender goes away without sending.
import { ClosedError } from "./errors.ts";
import { Resource } from "./resource.ts";
import { armCancel, Waiter } from "./waitqueue.ts";

type Slot<T> = { has: false } | { has: true; value: T };

class Inner<T> {
  slot: Slot<T> = { has: false };
  txDropped = false;
  rxDropped = false;
  received = false;
  waiter: Waiter<T> | undefined;
  closedWaiters: (() => void)[] = [];
  readonly res: Resource;

  constructor() {
    this.res = new Resource({
      target: "tokio::sync::oneshot",
      concreteType: "Sender|Receiver",
      kind: "Sync",
      caller: oneshot,
    });
    this.res.update("tx_dropped", false, "override");
    this.res.update("rx_dropped", false, "override");
    this.res.update("value_sent", false, "override");
    this.res.update("value_received", false, "override");
  }

  maybeClose(): void {
    if (this.txDropped && (this.rxDropped || this.received)) this.res.close();
  }
}

const TX = new FinalizationRegistry<Inner<unknown>>((i) => dropTx(i));
const RX = new FinalizationRegistry<Inner<unknown>>((i) => dropRx(i));

function dropTx(i: Inner<unknown>): void {
  if (i.txDropped) return;
  i.txDropped = true;
  i.res.update("tx_dropped", true, "override");
  const w = i.waiter;
  i.waiter = undefined;
  if (w !== undefined && !i.slot.has)
    w.fail(new ClosedError("oneshot receive: the sender was dropped without sending"));
  i.maybeClose();
}

function dropRx(i: Inner<unknown>): void {
  if (i.rxDropped) return;
  i.rxDropped = true;
  i.res.update("rx_dropped", true, "override");
  for (const f of i.closedWaiters) f();
  i.closedWaiters = [];
  i.maybeClose();
}

export class OneshotSender<T> {
  readonly #inner: Inner<T>;
  constructor(inner: Inner<T>) {
    this.#inner = inner;
    TX.register(this, inner as Inner<unknown>, this);
  }

  /** Sends the value; throws ClosedError (carrying the value) if the receiver is gone or a value was sent. */
  send(value: T): void {
    const i = this.#inner;
    if (i.rxDropped || i.txDropped) throw new ClosedError("oneshot send", value);
    i.slot = { has: true, value };
    i.res.update("value_sent", true, "override");
    const w = i.waiter;
    i.waiter = undefined;
    if (w !== undefined) {
      i.received = true;
      i.res.update("value_received", true, "override");
      w.fulfil(value);
    }
    this.close();
  }

  get isClosed(): boolean {
    return this.#inner.rxDropped;
  }

  /** Resolves when the receiver is closed or dropped. */
  closed(): Promise<void> {
    const i = this.#inner;
    if (i.rxDropped) return Promise.resolve();
    return new Promise((resolve) => i.closedWaiters.push(resolve));
  }

  /** Drops the sender without sending: the receiver fails with ClosedError. */
  close(): void {
    TX.unregister(this);
    dropTx(this.#inner as Inner<unknown>);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export class OneshotReceiver<T> implements PromiseLike<T> {
  readonly #inner: Inner<T>;
  #pending: Promise<T> | undefined;

  constructor(inner: Inner<T>) {
    this.#inner = inner;
    RX.register(this, inner as Inner<unknown>, this);
  }

  /** The value, once sent; rejects with ClosedError if the sender was dropped first. */
  recv(opts?: { signal?: AbortSignal }): Promise<T> {
    this.#pending ??= this.#wait(opts?.signal);
    return this.#pending;
  }

  async #wait(signal: AbortSignal | undefined): Promise<T> {
    const i = this.#inner;
    const op = i.res.op("Receiver::await");
    try {
      if (i.slot.has) {
        i.received = true;
        i.res.update("value_received", true, "override");
        op.poll("poll_recv", true);
        i.maybeClose();
        return i.slot.value;
      }
      if (i.txDropped || i.rxDropped)
        throw new ClosedError("oneshot receive: the channel is closed");
      const w = new Waiter<T>(0);
      i.waiter = w;
      armCancel(w, signal, () => {
        if (i.waiter === w) i.waiter = undefined;
        this.#pending = undefined;
      });
      op.poll("poll_recv", false);
      const v = await w.promise;
      op.poll("poll_recv", true);
      i.maybeClose();
      return v;
    } finally {
      op.close();
    }
  }

  /** The value if it was sent: `{ ok: true, value }`, else `{ ok: false, closed }`. */
  tryRecv(): { ok: true; value: T } | { ok: false; closed: boolean } {
    const i = this.#inner;
    if (i.slot.has) {
      i.received = true;
      i.res.update("value_received", true, "override");
      i.maybeClose();
      return { ok: true, value: i.slot.value };
    }
    return { ok: false, closed: i.txDropped || i.rxDropped };
  }

  // biome-ignore lint/suspicious/noThenProperty: `await rx` reads like tokio's `rx.await`.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.recv().then(onFulfilled, onRejected);
  }

  /** Closes the receiver: the sender's send() fails and closed() resolves. */
  close(): void {
    RX.unregister(this);
    dropRx(this.#inner as Inner<unknown>);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export function oneshot<T>(): [OneshotSender<T>, OneshotReceiver<T>] {
  const inner = new Inner<T>();
  return [new OneshotSender(inner), new OneshotReceiver(inner)];
}
