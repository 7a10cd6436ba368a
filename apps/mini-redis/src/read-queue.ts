// The reads a connection's task has not handled yet. Socket callbacks put reads here; the task
// takes them in order, and waits when there are none. A read that arrives while the task waits
// goes straight to it, so the common case (one request per read) queues nothing.

/** A read, `null` for the client's FIN, or `undefined` when the task was woken with nothing. */
export type ReadItem = Buffer | null | undefined;

export class ReadQueue {
  private readonly items: (Buffer | null)[] = [];
  /** Set while the task waits (the queue is then empty). */
  private waiter: (() => void) | undefined;
  /** What `put` gave the task it woke, for `takeHandedOver`. */
  private handedOver: ReadItem = undefined;

  /** Whether the task waits for a read (so one handed over now is handled at once). */
  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  get size(): number {
    return this.items.length;
  }

  /** Hands a read (or the FIN) to the task: to it if it waits, else into the queue. */
  put(item: Buffer | null): void {
    const w = this.waiter;
    if (w === undefined) {
      this.items.push(item);
      return;
    }
    this.waiter = undefined;
    this.handedOver = item;
    w();
  }

  /** What the waiting task was woken with (see `wait`): a read, the FIN, or nothing. */
  takeHandedOver(): ReadItem {
    const item = this.handedOver;
    this.handedOver = undefined;
    return item;
  }

  /** The oldest queued item; undefined when there is none. */
  take(): Buffer | null | undefined {
    return this.items.shift();
  }

  /** Puts back a read the task could not handle yet: it comes next. */
  putBack(item: Buffer): void {
    this.items.unshift(item);
  }

  /**
   * Waits for the next item (only when the queue is empty); `takeHandedOver` then gives it. The
   * promise resolves to nothing: resolving it with a Buffer would make V8 look up `then` on the
   * Buffer's prototype chain first, in case it is a thenable (0.5k instructions per read).
   */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Wakes a waiting task with nothing to read (the socket closed). */
  wakeEmpty(): void {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      this.handedOver = undefined;
      w();
    }
  }

  clear(): void {
    this.items.length = 0;
    this.handedOver = undefined;
  }
}
