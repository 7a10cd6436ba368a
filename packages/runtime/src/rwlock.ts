// An async reader-writer lock, as tokio::sync::RwLock: a semaphore of maxReaders permits where a
// reader takes one and a writer takes all, so queued writers are not starved (FIFO).
import { invalidArgument, RuntimeError } from "./errors.ts";
import { Resource } from "./resource.ts";
import { type AcquireOptions, checkPermitCount, MAX_PERMITS, Semaphore } from "./semaphore.ts";

function released(): RuntimeError {
  return new RuntimeError(
    "PERISCOPE_ALREADY_RELEASED",
    "this guard was already released; lock again to use the value",
  );
}

export class RwLock<T> {
  #value: T;
  readonly #max: number;
  readonly #sem: Semaphore;
  readonly #res: Resource;

  constructor(value: T, opts?: { maxReaders?: number }) {
    const max = opts?.maxReaders ?? MAX_PERMITS;
    checkPermitCount("RwLock maxReaders", max, 1);
    this.#value = value;
    this.#max = max;
    this.#res = new Resource(
      { target: "tokio::sync::rwlock", concreteType: "RwLock", kind: "Sync", caller: RwLock },
      this,
    );
    this.#res.update("max_readers", max);
    this.#res.update("write_locked", false);
    this.#res.update("current_readers", 0);
    this.#sem = new Semaphore(max, { parent: this.#res });
  }

  async read(opts?: AcquireOptions): Promise<RwLockReadGuard<T>> {
    await this.#sem.take(1, opts?.signal, this.#res.op("RwLock::read"), "poll");
    this.#res.update("current_readers", 1, "add");
    return new RwLockReadGuard(this);
  }

  async write(opts?: AcquireOptions): Promise<RwLockWriteGuard<T>> {
    await this.#sem.take(this.#max, opts?.signal, this.#res.op("RwLock::write"), "poll");
    this.#res.update("write_locked", true);
    return new RwLockWriteGuard(this);
  }

  tryRead(): RwLockReadGuard<T> | undefined {
    if (!this.#sem.tryTake(1)) return undefined;
    this.#res.update("current_readers", 1, "add");
    return new RwLockReadGuard(this);
  }

  tryWrite(): RwLockWriteGuard<T> | undefined {
    if (!this.#sem.tryTake(this.#max)) return undefined;
    this.#res.update("write_locked", true);
    return new RwLockWriteGuard(this);
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
  endRead(): void {
    this.#res.update("current_readers", 1, "sub");
    this.#sem.release(1);
  }
  /** @internal */
  endWrite(): void {
    this.#res.update("write_locked", false);
    this.#sem.release(this.#max);
  }
}

export class RwLockReadGuard<T> implements Disposable {
  #lock: RwLock<T> | undefined;
  constructor(lock: RwLock<T>) {
    this.#lock = lock;
  }
  get value(): T {
    if (this.#lock === undefined) throw released();
    return this.#lock.get();
  }
  release(): void {
    const l = this.#lock;
    if (l === undefined) return;
    this.#lock = undefined;
    l.endRead();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

export class RwLockWriteGuard<T> implements Disposable {
  #lock: RwLock<T> | undefined;
  constructor(lock: RwLock<T>) {
    this.#lock = lock;
  }
  get value(): T {
    if (this.#lock === undefined) throw released();
    return this.#lock.get();
  }
  set value(v: T) {
    if (this.#lock === undefined) throw released();
    this.#lock.set(v);
  }
  release(): void {
    const l = this.#lock;
    if (l === undefined) return;
    this.#lock = undefined;
    l.endWrite();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}
