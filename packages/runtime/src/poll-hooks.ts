// The poll hooks: each slice's before/after pushes and pops the poll stack, entering and exiting
// task spans only when the running task changes; promise init/settled record precise wakes.
import { executionAsyncResource } from "node:async_hooks";
import { closeTask, endPoll, enterPoll, exitPoll, flushRoot, pollNow, wake } from "./poll-emit.ts";
import { sliceOwner } from "./poll-root.ts";
import { BOUND, FIRST_RUN, polls, SETTLED, type Tagged, WAITER } from "./poll-state.ts";
import type { Task } from "./task-state.ts";
import { taskStore } from "./task-state.ts";

const { stack, emitted } = polls;

/** The immediate that ends a held poll at the end of the turn (see `polls.coalesce`). */
let flushImmediate: NodeJS.Immediate | undefined;
/**
 * Its async id, so a callback's before hook knows it by a number compare (the hook is given the
 * id) instead of an executionAsyncResource() call on every callback; -1 when Node's Immediate
 * keeps its id where we cannot read it, and the resource is compared instead.
 */
let flushAsyncId = -1;
let asyncIdKey: symbol | null | undefined;

function scheduleFlush(): void {
  const imm = setImmediate(flushPending);
  flushImmediate = imm;
  if (asyncIdKey === undefined)
    asyncIdKey = Object.getOwnPropertySymbols(imm).find((s) => s.description === "asyncId") ?? null;
  const id =
    asyncIdKey === null ? undefined : (imm as unknown as Record<symbol, unknown>)[asyncIdKey];
  flushAsyncId = typeof id === "number" ? id : -1;
}

function isFlush(asyncId: number): boolean {
  if (flushImmediate === undefined) return false;
  return flushAsyncId >= 0 ? asyncId === flushAsyncId : executionAsyncResource() === flushImmediate;
}

// ---- hooks: never throw (a throwing async hook kills the process), never allocate ----

export function safeInit(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
  if (parent === undefined) return;
  try {
    onInit(parent as Tagged);
  } catch {
    // instrumentation never throws into the program
  }
}
export function safeSettled(promise: Promise<unknown>): void {
  try {
    onSettled(promise as Tagged);
  } catch {
    // as above
  }
}
/** A promise job (promiseHooks pass its promise). */
export function safePromiseBefore(p: Promise<unknown>): void {
  try {
    // Only a task's first job carries FIRST_RUN; while none is pending the (megamorphic) property
    // read is skipped.
    onBefore(polls.firstRuns > 0 ? (p as Tagged)[FIRST_RUN] : undefined, undefined);
  } catch {
    // as above
  }
}
/** A callback (async_hooks pass its id; in async-hooks mode promise jobs come this way too). */
export function safeBefore(asyncId: number): void {
  try {
    if (isFlush(asyncId)) {
      // Our own flush: invisible to the poll stack. It runs straight from the event loop, so
      // anything still on the stack lost its after hook (a callback that threw): unwind it.
      if (stack.length > 0) unwind();
      stack.push(undefined);
      emitted.push(false);
      return;
    }
    // The resource is the promise in async-hooks mode, or maybe a bound parser or handle.
    if (polls.installed === "async-hooks" || polls.anyBound) {
      const job = executionAsyncResource() as Tagged | undefined;
      onBefore(polls.firstRuns > 0 ? job?.[FIRST_RUN] : undefined, job?.[BOUND]);
    } else onBefore(undefined, undefined);
  } catch {
    // as above
  }
}
export function safeAfter(): void {
  try {
    onAfter();
  } catch {
    // as above
  }
}

function onInit(parent: Tagged): void {
  // `await p` / `p.then()` inside a task: when p settles, that task is woken. A settled p is
  // never tagged, so long-lived resolved promises do not keep the last task that awaited them.
  if (parent[WAITER] === SETTLED) return;
  const t = taskStore.getStore();
  if (t === undefined || t.spanId === undefined) return;
  try {
    parent[WAITER] = t;
  } catch {
    // a frozen promise (modules are strict): it cannot report its wake, the next slice will
  }
}

function onSettled(promise: Tagged): void {
  const t = promise[WAITER];
  try {
    promise[WAITER] = SETTLED;
  } catch {
    // frozen, as above
  }
  if (t === undefined || t === SETTLED) return;
  // A promise the task settles during its own slice (an inner async function returning) is a
  // future completing within the poll in tokio's terms, not a wake: the next slice records one.
  if (t.done || t.woken || t.onStack > 0) return;
  // Settled between slices (e.g. from a finalizer) while the task's exit is held: end its poll
  // first, so the wake is not taken for a self-wake.
  if (polls.pendingExit === t) flushPending();
  wake(t);
}

function onBefore(first: Task | undefined, bound: Task | undefined): void {
  const t =
    first !== undefined && !first.done && first.spanId !== undefined ? first : sliceOwner(bound);
  const pending = polls.pendingExit;
  if (pending !== undefined) {
    polls.pendingExit = undefined;
    if (t === pending && stack.length === 0) {
      // The same task again, straight after its last slice: the poll goes on.
      t.onStack++;
      stack.push(t);
      emitted.push(true);
      return;
    }
  }
  const top = stack.length === 0 ? undefined : stack[stack.length - 1];
  const enters = t !== undefined && t !== top;
  // One clock read for this boundary: the held exit and the enter happen at the same instant.
  const at = pending !== undefined || enters ? pollNow() : 0;
  if (pending !== undefined) endPoll(pending, at);
  let e = false;
  if (t !== undefined) {
    t.onStack++;
    if (enters) {
      enterPoll(t, at);
      e = true;
    }
  }
  stack.push(t);
  emitted.push(e);
}

function onAfter(): void {
  if (stack.length === 0) return;
  const t = stack.pop();
  const e = emitted.pop();
  if (t === undefined) return;
  t.onStack--;
  if (e && polls.coalesce && stack.length === 0) {
    polls.pendingExit = t;
    if (flushImmediate === undefined) scheduleFlush();
    return;
  }
  if (e) exitPoll(t, pollNow());
  if (t.done && t.onStack === 0) closeTask(t);
}

function unwind(): void {
  while (stack.length > 0) {
    const t = stack.pop();
    const e = emitted.pop();
    if (t === undefined) continue;
    t.onStack--;
    if (e) exitPoll(t, pollNow());
    if (t.done && t.onStack === 0) closeTask(t);
  }
}

/** Ends the held poll (and tells the root's held slices): at the end of a turn, or on uninstall. */
export function flushPending(): void {
  if (flushImmediate !== undefined) {
    clearImmediate(flushImmediate);
    flushImmediate = undefined;
  }
  const t = polls.pendingExit;
  if (t !== undefined) {
    polls.pendingExit = undefined;
    endPoll(t, pollNow());
  }
  flushRoot();
}
