// A FIFO queue of waiters with O(1) removal, and the one place where AbortSignals (the caller's
// and the current task's) cancel a wait: every primitive's fairness and cancellation live here.
import { abortReason } from "./errors.ts";
import { currentTask } from "./task-state.ts";

export class Waiter<T> {
  prev: Waiter<T> | undefined;
  next: Waiter<T> | undefined;
  queued = false;
  settled = false;
  /** What the waiter asks for (permits, for a semaphore). */
  readonly need: number;
  readonly promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  cleanup: (() => void) | undefined;

  constructor(need: number) {
    this.need = need;
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }

  /** Settles once; returns false if it had already been settled (e.g. cancelled). */
  fulfil(v: T): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.cleanup?.();
    this.resolve(v);
    return true;
  }

  fail(e: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.cleanup?.();
    this.reject(e);
    return true;
  }
}

export class WaitQueue<T> {
  head: Waiter<T> | undefined;
  tail: Waiter<T> | undefined;
  size = 0;

  push(w: Waiter<T>): void {
    w.prev = this.tail;
    w.next = undefined;
    if (this.tail === undefined) this.head = w;
    else this.tail.next = w;
    this.tail = w;
    w.queued = true;
    this.size++;
  }

  shift(): Waiter<T> | undefined {
    const w = this.head;
    if (w !== undefined) this.remove(w);
    return w;
  }

  remove(w: Waiter<T>): void {
    if (!w.queued) return;
    if (w.prev === undefined) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === undefined) this.tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = undefined;
    w.next = undefined;
    w.queued = false;
    this.size--;
  }

  /** Rejects every waiter (channel or semaphore closed). */
  failAll(e: () => unknown): void {
    for (let w = this.shift(); w !== undefined; w = this.shift()) w.fail(e());
  }
}

/**
 * Arms cancellation for a waiter: the caller's signal and the current task's signal both cancel
 * it. `onCancel` runs (to dequeue and hand on what was reserved) before the waiter is rejected.
 * When a signal is already aborted, onCancel runs and the waiter is rejected at once.
 */
export function armCancel<T>(
  w: Waiter<T>,
  signal: AbortSignal | undefined,
  onCancel: () => void,
): boolean {
  const taskSignal = currentTask()?.signal;
  const a = signal;
  const b = taskSignal === signal ? undefined : taskSignal;
  if (a?.aborted || b?.aborted) {
    onCancel();
    w.fail(abortReason((a?.aborted ? a : b) as AbortSignal));
    return false;
  }
  if (a === undefined && b === undefined) return true;
  const listener = (ev: Event): void => {
    if (w.settled) return;
    onCancel();
    w.fail(abortReason(ev.target as AbortSignal));
  };
  a?.addEventListener("abort", listener, { once: true });
  b?.addEventListener("abort", listener, { once: true });
  w.cleanup = () => {
    a?.removeEventListener("abort", listener);
    b?.removeEventListener("abort", listener);
  };
  return true;
}
