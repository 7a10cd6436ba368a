// spawn() and JoinHandle: a task is a function run in its own context with an AbortSignal, traced
// as tokio's `runtime.spawn` span that closes when the function settles.

import type { Fields, Subscriber } from "@periscope/tracing";
import { Span } from "@periscope/tracing";
import { SPAWN } from "./callsites.ts";
import { invalidArgument, JoinError } from "./errors.ts";
import { type Caller, callerLocation, type Location, locationsEnabled } from "./location.ts";
import { finishTask, wake, waker, wakerFor } from "./poll-emit.ts";
import { FIRST_RUN, polls } from "./poll-state.ts";
import { ensurePolls } from "./polls.ts";
import { type LostToken, nextTaskId, Task, taskStore } from "./task-state.ts";

export interface SpawnOptions {
  /** Shown as `task.name` in the console. */
  name?: string;
  /** Extra fields recorded on the task span. */
  fields?: Fields;
  /**
   * For helpers that spawn on their callers' behalf (tokio's #[track_caller]): the location
   * recorded is the call to this function instead of the call to spawn.
   */
  caller?: Caller;
}

export type TaskFn<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/**
 * Lost wakers: a pending task whose result promise was garbage-collected can never finish (nothing
 * left can resolve what it awaits). Its waker count drops to zero, which the console lints. The
 * registry holds only a token, never the task: the task's signal listeners lead back to its
 * frame, and would keep the result alive forever.
 */
const LOST = new FinalizationRegistry<LostToken>((token) => {
  if (token.finished) return;
  token.finished = true;
  wakerFor(token.spanId, "waker.drop");
});
/**
 * The handle to a spawned task: await it for the task's value (or a JoinError), abort() it.
 * Like tokio's JoinHandle, dropping it does not cancel the task, and a task that throws does not
 * crash the process: its error is delivered to whoever awaits the handle.
 */
export class JoinHandle<T> implements PromiseLike<T> {
  readonly #task: Task;
  // The outcome, and a promise made only when someone awaits: a task nobody awaits costs no
  // promise, and its failure is no unhandled rejection (as tokio, the handle just holds it).
  #state: 0 | 1 | 2 = 0;
  #value: unknown;
  #promise: Promise<T> | undefined;
  #resolve: ((v: T) => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;

  constructor(task: Task) {
    this.#task = task;
  }

  /** The task's id, unique for the life of the process (tokio's task::Id). */
  get id(): bigint {
    return this.#task.id;
  }

  get name(): string {
    return this.#task.name;
  }

  /** True once the task's function has settled and the handle can be awaited without waiting. */
  get isFinished(): boolean {
    return this.#task.done;
  }

  /**
   * Requests cancellation: the task's AbortSignal fires, and runtime primitives awaited inside the
   * task (sleep, lock, recv, ...) reject with the abort reason. A task that has not started yet
   * never runs. The handle then rejects with a JoinError whose isCancelled() is true.
   */
  abort(reason?: unknown): void {
    if (this.#task.done) return;
    this.#task.abort(reason ?? new DOMException(`task ${this.#task.id} was aborted`, "AbortError"));
  }

  // biome-ignore lint/suspicious/noThenProperty: a JoinHandle is awaitable by design, as in tokio.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#settled().then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#settled().catch(onRejected);
  }

  #settled(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    if (this.#state === 1) this.#promise = Promise.resolve(this.#value as T);
    else if (this.#state === 2) this.#promise = Promise.reject(this.#value);
    else
      this.#promise = new Promise<T>((res, rej) => {
        this.#resolve = res;
        this.#reject = rej;
      });
    return this.#promise;
  }

  /** @internal the task ended with a value. */
  fulfil(v: T): void {
    this.#state = 1;
    this.#value = v;
    this.#resolve?.(v);
  }

  /** @internal the task failed or was cancelled. */
  fail(e: unknown): void {
    this.#state = 2;
    this.#value = e;
    this.#reject?.(e);
  }
}

/**
 * Runs `fn` as a task. Like tokio::spawn, the task starts on a later tick (a microtask), not
 * inside the caller, so the caller's poll and the task's first poll do not overlap.
 */
export function spawn<T>(fn: TaskFn<T>, opts: SpawnOptions = {}): JoinHandle<T> {
  return spawnTask(fn, opts, undefined);
}

/**
 * spawn() with its call site's location already known: what @periscope/auto's load-time
 * transform writes in place of `spawn(...)` (see its README, "Spawn locations"), so no stack is
 * captured. A `caller` option still wins (its location can only be captured).
 */
export function spawnAt<T>(site: Location, fn: TaskFn<T>, opts: SpawnOptions = {}): JoinHandle<T> {
  return spawnTask(fn, opts, opts.caller === undefined ? site : undefined);
}

function spawnTask<T>(
  fn: TaskFn<T>,
  opts: SpawnOptions,
  site: Location | undefined,
): JoinHandle<T> {
  if (typeof fn !== "function")
    throw invalidArgument(`spawn() needs a function to run as the task, got ${typeof fn}`);
  const id = nextTaskId();
  const name = opts.name ?? "";
  let span = Span.none();
  if (SPAWN.enabled()) {
    // One literal of a fixed shape in the usual case (no extra fields): no spread, no
    // transitions, one hidden class shared by every task span's fields.
    let fields: Fields;
    if (locationsEnabled) {
      // A stack capture costs microseconds (most of a spawn with the console on): only when the
      // transform did not give the site. spawnTask is hidden too, so the frame left is the caller.
      const loc = site ?? callerLocation(opts.caller ?? spawn);
      fields =
        opts.fields === undefined
          ? {
              kind: "task",
              "task.name": name,
              "task.id": id,
              "loc.file": loc.file,
              "loc.line": loc.line,
              "loc.col": loc.col,
            }
          : {
              ...opts.fields,
              kind: "task",
              "task.name": name,
              "task.id": id,
              "loc.file": loc.file,
              "loc.line": loc.line,
              "loc.col": loc.col,
            };
    } else fields = { ...opts.fields, kind: "task", "task.name": name, "task.id": id };
    span = SPAWN.span(fields, null);
    if (span.id !== undefined) ensurePolls();
  }
  const task = new Task(id, name, span, false);
  const handle = new JoinHandle<T>(task);
  if (task.spanId !== undefined) {
    waker(task, "waker.clone");
    wake(task);
  }
  // The first job runs in the caller's context and enters the task's (see run()); a fresh
  // promise each time, as a shared one would be tagged with (and keep alive) the last task.
  task.startFn = fn;
  task.startHandle = handle;
  const first = Promise.resolve(task).then(start);
  if (task.spanId !== undefined) {
    (first as { [FIRST_RUN]?: Task })[FIRST_RUN] = task;
    polls.firstRuns++;
  }
  return handle;
}

function start(task: Task): void {
  const fn = task.startFn as TaskFn<unknown>;
  const handle = task.startHandle as JoinHandle<unknown>;
  task.startFn = undefined;
  task.startHandle = undefined;
  // After the before hook read the tag (see polls.firstRuns).
  if (task.spanId !== undefined) polls.firstRuns--;
  run(task, fn, handle);
}

function run<T>(task: Task, fn: TaskFn<T>, handle: JoinHandle<T>): void {
  // The task's context, for everything it awaits or schedules. run() is a whole promise job and
  // V8 drops a job's context when the job ends, so nothing needs restoring: taskStore.run in
  // spawn() would have copied the context frame twice, this copies it once.
  taskStore.enterWith(task);
  if (task.aborted) {
    finishTask(task);
    handle.fail(new JoinError(task.id, true, task.signal?.reason));
    return;
  }
  task.woken = false;
  // The signal is made only for a function that declares a parameter (or when a primitive or
  // abort() asks for it), which spares most short tasks an AbortController.
  const signal = (fn.length > 0 ? task.signal : undefined) as AbortSignal;
  let result: T | PromiseLike<T>;
  try {
    const id = task.spanId;
    if (id === undefined) result = fn(signal);
    else {
      // run() is a whole promise job, and V8 drops a job's async context when the job ends: the
      // span is made current without being restored afterwards (a restore, as inScope does,
      // copies the context frame once more per task).
      task.span.enter();
      try {
        result = fn(signal);
      } finally {
        exitSpan(task, id);
      }
    }
  } catch (e) {
    finishTask(task);
    handle.fail(new JoinError(task.id, task.aborted, e));
    return;
  }
  if (!isThenable(result)) {
    finishTask(task);
    handle.fulfil(result);
    return;
  }
  const settle = (): void => {
    Promise.resolve(result).then(
      (v) => {
        finishTask(task);
        handle.fulfil(v);
      },
      (e) => {
        finishTask(task);
        handle.fail(new JoinError(task.id, task.aborted, e));
      },
    );
  };
  if (task.spanId === undefined) {
    settle();
    return;
  }
  if (typeof result === "object") {
    task.lostToken = { spanId: task.spanId, finished: false };
    LOST.register(result, task.lostToken);
  }
  // The completion bookkeeping runs outside the task, so it is not counted as one of its polls
  // (nor its settling as a self-wake).
  taskStore.exit(settle);
}

function exitSpan(task: Task, id: bigint): void {
  try {
    (task.span.subscriber as Subscriber).exit(id);
  } catch {
    // a failing subscriber loses its own data only
  }
}

function isThenable<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return (
    v !== null &&
    (typeof v === "object" || typeof v === "function") &&
    typeof (v as PromiseLike<T>).then === "function"
  );
}
