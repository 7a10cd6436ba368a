// An async Mutex holding a value, as tokio::sync::Mutex: FIFO lock order, guards released by
// release() or `using`, and a `locked` state the console shows.
import { RuntimeError } from "./errors.ts";
import { Resource } from "./resource.ts";
import { type AcquireOptions, Semaphore } from "./semaphore.ts";

function released(): RuntimeError {
  return new RuntimeError(
    "PERISCOPE_ALREADY_RELEASED",
    "this guard was already released; lock the mutex again to use the value",
  );
}

export class Mutex<T> {
  #value: T;
  readonly #sem: Semaphore;
  readonly #res: Resource;

  constructor(value: T) {
    this.#value = value;
    this.#res = new Resource(
      { target: "tokio::sync::mutex", concreteType: "Mutex", kind: "Sync", caller: Mutex },
      this,
    );
    this.#res.update("locked", false);
    this.#sem = new Semaphore(1, { parent: this.#res });
  }

  get isLocked(): boolean {
    return this.#sem.availablePermits === 0;
  }

  /** Waits for the lock in FIFO order; aborting the signal (or the task) gives up the wait. */
  async lock(opts?: AcquireOptions): Promise<MutexGuard<T>> {
    await this.#sem.take(1, opts?.signal, this.#res.op("Mutex::lock"), "poll");
    this.#res.update("locked", true);
    return new MutexGuard(this);
  }

  /** The lock now, or undefined if it is held or others are waiting. */
  tryLock(): MutexGuard<T> | undefined {
    if (!this.#sem.tryTake(1)) return undefined;
    this.#res.update("locked", true);
    return new MutexGuard(this);
  }

  /** Runs fn with the value under the lock and releases it however fn ends. */
  async withLock<R>(
    fn: (guard: MutexGuard<T>) => R | Promise<R>,
    opts?: AcquireOptions,
  ): Promise<R> {
    const guard = await this.lock(opts);
    try {
      return await fn(guard);
    } finally {
      guard.release();
    }
  }

  /** @internal */
  get(): T {
    return this.#value;
  }
  /** @internal */
  set(v: T): void {
    this.#value = v;
  }
  /** @internal */
  unlock(): void {
    this.#res.update("locked", false);
    this.#sem.release(1);
  }
}

export class MutexGuard<T> implements Disposable {
  #mutex: Mutex<T> | undefined;

  constructor(mutex: Mutex<T>) {
    this.#mutex = mutex;
  }

  get value(): T {
    if (this.#mutex === undefined) throw released();
    return this.#mutex.get();
  }

  set value(v: T) {
    if (this.#mutex === undefined) throw released();
    this.#mutex.set(v);
  }

  /** Unlocks; calling it again does nothing. */
  release(): void {
    const m = this.#mutex;
    if (m === undefined) return;
    this.#mutex = undefined;
    m.unlock();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
