// The poll stack and the state the poll hooks, the slice switches and the emission share: one
// object, so the modules that split that work can all update it (an exported `let` cannot be).
import type { Task } from "./task-state.ts";

export const WAITER = Symbol("periscope.runtime.waiter");
/**
 * On the promise of a task's first job, set by spawn: the job's async context is still the
 * caller's (run() enters the task's own context inside the job, which saves two context-frame
 * copies per task), so the hooks learn whose slice it is from this tag.
 */
export const FIRST_RUN = Symbol("periscope.runtime.firstRun");
/** Marks a settled promise: chaining on it wakes nobody later. */
export const SETTLED = 0;
/** On an async resource (a parser, a handle): its callbacks are polls of this task. */
export const BOUND = Symbol("periscope.runtime.bound");
export interface Tagged {
  [WAITER]?: Task | typeof SETTLED | undefined;
  [FIRST_RUN]?: Task | undefined;
  [BOUND]?: Task | undefined;
}

/** The modes of poll accounting (see polls.ts). */
export type PollMode = "promise-hooks" | "async-hooks" | "sync";

export const polls = {
  installed: undefined as PollMode | undefined,
  /**
   * Spawned tasks whose first job (tagged FIRST_RUN) has not run yet: while none is pending, the
   * promise before hook skips the tag's read (a megamorphic load on every promise job).
   */
  firstRuns: 0,
  /** Set once anything was bound: until then a callback slice costs no resource lookup. */
  anyBound: false,
  /**
   * The poll stack: slices can nest (runInAsyncScope, re-entrant emitters), so each before
   * pushes and each after pops; enter/exit are emitted only when the task actually changes.
   */
  stack: [] as (Task | undefined)[],
  emitted: [] as boolean[],
  /**
   * Coalescing: a task's slices that run back to back, with no other slice in between, are one
   * poll, as a tokio poll runs until the task yields. The exit is held until the next slice
   * starts, or until an immediate queued behind the current microtask drain runs.
   */
  coalesce: false,
  pendingExit: undefined as Task | undefined,
  /**
   * Root polls per turn ("turn", the default): the root's slices in one turn of the event loop
   * are summed and told as one poll when the turn's flush runs (see poll-emit.ts). `rootFirst` is
   * the first slice's start (-1: none this turn), `rootBusy` the sum so far, `rootAt` the start
   * of the slice in progress.
   */
  rootPerTurn: false,
  rootTask: undefined as Task | undefined,
  rootFirst: -1,
  rootBusy: 0,
  rootAt: 0,
  /** Root slices entered and not yet exited (nested ones count once). */
  rootDepth: 0,
};
