// The record behind every task (and the implicit root task): its span, its abort controller and
// the flags the poll hooks use to emit enter/exit and waker events in tokio's order.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Span } from "@periscope/tracing";

export interface LostToken {
  readonly spanId: bigint;
  /** Set when the task finishes, or when it was reported lost. */
  finished: boolean;
}

export class Task {
  readonly id: bigint;
  readonly name: string;
  readonly isRoot: boolean;
  span: Span;
  /** The task span's id, cached: undefined when the span is disabled. */
  spanId: bigint | undefined;
  /** Created on first use: most tasks never look at their signal. */
  #controller: AbortController | undefined;
  /** The task's function has settled; the span closes once no poll of it is on the stack. */
  done = false;
  /** A wake was recorded since the last poll began. */
  woken = false;
  /** Shared with the lost-waker registry, which must not hold the task itself. */
  lostToken: LostToken | undefined;
  /** How many slices of this task are on the poll stack. */
  onStack = 0;
  /**
   * The function and handle of a task until its first run: fields rather than a closure per task
   * (a closure and its context are ~100 bytes, alive for as long as a burst is in flight).
   */
  startFn: ((signal: AbortSignal) => unknown) | undefined;
  startHandle: object | undefined;

  constructor(id: bigint, name: string, span: Span, isRoot: boolean) {
    this.id = id;
    this.name = name;
    this.span = span;
    this.spanId = span.id;
    this.isRoot = isRoot;
  }

  /** The task's abort signal (undefined for the root task). */
  get signal(): AbortSignal | undefined {
    if (this.isRoot) return undefined;
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** Whether abort() was called. */
  get aborted(): boolean {
    return this.#controller?.signal.aborted === true;
  }

  /** Aborts the task's signal; false if it was aborted already. */
  abort(reason: unknown): boolean {
    if (this.isRoot || this.aborted) return false;
    this.#controller ??= new AbortController();
    this.#controller.abort(reason);
    return true;
  }
}

/** The task whose code is running, carried across await, timers and callbacks. */
export const taskStore = new AsyncLocalStorage<Task>();

let nextId = 1n;
/** Task ids are never reused, as tokio's task::Id (non-zero u64). */
export function nextTaskId(): bigint {
  return nextId++;
}

/** The task running this code, or undefined outside any spawned task. */
export function currentTask(): Task | undefined {
  return taskStore.getStore();
}

/**
 * Runs fn outside any task: for the runtime's own timers, whose callbacks are the "driver" that
 * wakes a task (as tokio's time driver), not a poll of it.
 */
export function outsideTask<T>(fn: () => T): T {
  return taskStore.getStore() === undefined ? fn() : taskStore.exit(fn);
}
