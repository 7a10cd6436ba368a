// A fair (FIFO) counting semaphore, tokio's batch_semaphore: a large request at the head of the
// queue is not overtaken by later small ones. Mutex and RwLock are built on it, as in tokio.
import { abortReason, invalidArgument, RuntimeError } from "./errors.ts";
import { type AsyncOp, Resource } from "./resource.ts";
import { armCancel, Waiter, WaitQueue } from "./waitqueue.ts";

export interface AcquireOptions {
  signal?: AbortSignal;
}

/** The most permits a semaphore can hold (tokio: usize::MAX >> 3; here a safe integer). */
export const MAX_PERMITS = 2 ** 31 - 1;

/** Throws PERISCOPE_INVALID_ARGUMENT unless n is an integer in min..MAX_PERMITS. */
export function checkPermitCount(what: string, n: number, min: 0 | 1): void {
  if (!Number.isInteger(n) || n < min || n > MAX_PERMITS)
    throw invalidArgument(`${what} must be an integer in ${min}..${MAX_PERMITS}, got ${n}`);
}

function closedError(): RuntimeError {
  return new RuntimeError(
    "PERISCOPE_SEMAPHORE_CLOSED",
    "the semaphore was closed; no more permits will be handed out",
  );
}

export class Semaphore {
  static readonly MAX_PERMITS = MAX_PERMITS;
  #permits: number;
  #closed = false;
  readonly #queue = new WaitQueue<void>();
  /** @internal the resource span; Mutex and RwLock parent it under their own. */
  readonly res: Resource;

  constructor(permits: number, internal?: { parent: Resource }) {
    checkPermitCount("Semaphore permits", permits, 0);
    this.#permits = permits;
    this.res = new Resource(
      {
        target: "tokio::sync::batch_semaphore",
        concreteType: "Semaphore",
        kind: "Sync",
        caller: internal === undefined ? Semaphore : undefined,
        isInternal: internal !== undefined,
        parent: internal?.parent,
      },
      this,
    );
    this.res.update("permits", permits, "override");
  }

  get availablePermits(): number {
    return this.#permits;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Waits for one permit, in FIFO order. */
  acquire(opts?: AcquireOptions): Promise<SemaphorePermit> {
    return this.acquireMany(1, opts);
  }

  /** Waits for `n` permits at once, in FIFO order. */
  async acquireMany(n: number, opts?: AcquireOptions): Promise<SemaphorePermit> {
    const op = this.res.op("Semaphore::acquire");
    await this.take(n, opts?.signal, op, "poll_acquire", true);
    return new SemaphorePermit(this, n);
  }

  /** A permit now, or undefined if none is free (or others are already waiting). */
  tryAcquire(n = 1): SemaphorePermit | undefined {
    return this.tryTake(n) ? new SemaphorePermit(this, n) : undefined;
  }

  /** Adds permits, waking waiters in order. */
  addPermits(n: number): void {
    if (!Number.isInteger(n) || n < 0 || this.#permits + n > MAX_PERMITS)
      throw invalidArgument(`cannot add ${n} permits: the total must stay within ${MAX_PERMITS}`);
    this.release(n);
  }

  /** Closes the semaphore: waiters and later acquires fail with PERISCOPE_SEMAPHORE_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.res.update("closed", true);
    this.#queue.failAll(closedError);
  }

  /** @internal synchronous attempt; throws when closed. */
  tryTake(n: number): boolean {
    this.check(n);
    if (this.#queue.size > 0 || this.#permits < n) return false;
    this.#permits -= n;
    this.res.update("permits", n, "sub");
    return true;
  }

  /**
   * @internal waits for n permits, reporting polls on `op` and closing it. `opPermits` adds the
   * permits_requested / permits_obtained op attributes (tokio puts them on the semaphore's own
   * Acquire op, so Mutex and RwLock ops leave them out).
   */
  async take(
    n: number,
    signal: AbortSignal | undefined,
    op: AsyncOp,
    pollName: string,
    opPermits = false,
  ): Promise<void> {
    if (opPermits) op.update("permits_requested", n, "override");
    try {
      if (this.tryTake(n)) {
        if (opPermits) op.update("permits_obtained", n, "add");
        op.poll(pollName, true);
        return;
      }
      if (signal?.aborted) throw abortReason(signal);
      const w = new Waiter<void>(n);
      this.#queue.push(w);
      armCancel(w, signal, () => {
        this.#queue.remove(w);
        this.serve();
      });
      op.poll(pollName, false);
      await w.promise;
      if (opPermits) op.update("permits_obtained", n, "add");
      op.poll(pollName, true);
    } finally {
      op.close();
    }
  }

  /** @internal gives permits back and serves the queue head first. */
  release(n: number): void {
    if (n === 0) return;
    this.#permits += n;
    this.res.update("permits", n, "add");
    this.serve();
  }

  private serve(): void {
    for (
      let w = this.#queue.head;
      w !== undefined && w.need <= this.#permits;
      w = this.#queue.head
    ) {
      this.#queue.shift();
      this.#permits -= w.need;
      this.res.update("permits", w.need, "sub");
      w.fulfil();
    }
  }

  private check(n: number): void {
    if (this.#closed) throw closedError();
    if (!Number.isInteger(n) || n < 0 || n > MAX_PERMITS)
      throw invalidArgument(`cannot acquire ${n} permits: ask for an integer in 0..${MAX_PERMITS}`);
  }
}

/** Permits held until release() (or `using`); forget() keeps them out of the semaphore. */
export class SemaphorePermit implements Disposable {
  readonly #sem: Semaphore;
  #n: number;

  constructor(sem: Semaphore, n: number) {
    this.#sem = sem;
    this.#n = n;
  }

  get permits(): number {
    return this.#n;
  }

  /** Returns the permits; calling it again does nothing. */
  release(): void {
    const n = this.#n;
    this.#n = 0;
    this.#sem.release(n);
  }

  /** Drops the permits without returning them (tokio's forget). */
  forget(): void {
    this.#n = 0;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
