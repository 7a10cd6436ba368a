// Poll accounting: a task's slices of code (promise jobs, callbacks), coalesced while they run back
// to back, are entered and exited on its span, and wakes are waker events, as tokio's scheduler does.
import { createHook, executionAsyncResource } from "node:async_hooks";
import { promiseHooks } from "node:v8";
import { globalDefault } from "@periscope/tracing";
import { SPAWN } from "./callsites.ts";
import { displayPath } from "./location.ts";
import { closeTask, endPoll, enterPoll, exitPoll, pollNow, wake, waker } from "./poll-emit.ts";
import {
  BOUND,
  FIRST_RUN,
  type PollMode,
  polls,
  SETTLED,
  type Tagged,
  WAITER,
} from "./poll-state.ts";
import { nextTaskId, Task, taskStore } from "./task-state.ts";

export type { PollMode };

/*
 * The modes (PollMode):
 * - "promise-hooks": V8 promise hooks for await resumptions (with precise wakes from `settled`)
 *   plus async_hooks before/after with `trackPromises: false` for callbacks (nodejs/node#61415,
 *   early 2026; feature-detected, present in the pinned Node 24).
 * - "async-hooks": one async_hooks hook that also tracks promises (older Node); wakes are
 *   recorded when a slice starts.
 * - "sync": no hooks: only a task's first synchronous run is a poll, and there is no root task.
 */

export interface RuntimeOptions {
  /** "auto" (default) picks promise-hooks where trackPromises exists, else async-hooks. */
  polls?: PollMode | "auto";
  /** Count work outside any spawned task under an implicit root task (default true). */
  root?: boolean;
}

let disposers: (() => void)[] = [];
let rootEnabled = true;
let root: Task | undefined;
let flushImmediate: NodeJS.Immediate | undefined;
const { stack, emitted } = polls;

/** Whether this Node can exclude promises from an async_hooks hook (trackPromises: false). */
export function supportsTrackPromises(): boolean {
  let seen = 0;
  try {
    const hook = createHook({
      init(_id, type) {
        if (type === "PROMISE") seen++;
      },
      trackPromises: false,
    } as Parameters<typeof createHook>[0]);
    hook.enable();
    void Promise.resolve();
    hook.disable();
  } catch {
    return false;
  }
  return seen === 0;
}

const MODES = ["auto", "promise-hooks", "async-hooks", "sync"];

function resolveMode(requested: PollMode | "auto" | undefined): PollMode {
  let want: string = requested ?? process.env.PERISCOPE_RUNTIME_POLLS ?? "auto";
  if (!MODES.includes(want)) {
    process.emitWarning(
      `PERISCOPE_RUNTIME_POLLS=${JSON.stringify(want).slice(0, 40)} is not one of ${MODES.join(", ")}; using auto`,
      { code: "PERISCOPE_INVALID_ARGUMENT" },
    );
    want = "auto";
  }
  // promise-hooks needs trackPromises: false, or every promise would be seen twice.
  if (want === "promise-hooks" || want === "auto")
    return supportsTrackPromises() ? "promise-hooks" : "async-hooks";
  return want as PollMode;
}

/** (Re)configures poll accounting; returns the mode now in force. */
export function configureRuntime(opts: RuntimeOptions = {}): PollMode {
  uninstall();
  rootEnabled = opts.root ?? process.env.PERISCOPE_RUNTIME_ROOT !== "0";
  const mode = resolveMode(opts.polls);
  install(mode);
  return mode;
}

/** The mode in force, or undefined before the first instrumented spawn. */
export function pollMode(): PollMode | undefined {
  return polls.installed;
}

/** Installs hooks on first use by an enabled task span. */
export function ensurePolls(): void {
  if (polls.installed === undefined) install(resolveMode(undefined));
}

function uninstall(): void {
  flushPending();
  polls.coalesce = false;
  for (const d of disposers) d();
  // Slices in progress will not see their after hook: let their tasks close normally.
  for (const t of stack) if (t !== undefined && t.onStack > 0) t.onStack--;
  disposers = [];
  polls.installed = undefined;
  stack.length = 0;
  emitted.length = 0;
}

function install(mode: PollMode): void {
  try {
    installHooks(mode);
    polls.installed = mode;
  } catch {
    // Hooks unavailable here: fall back honestly to first-run polls only.
    for (const d of disposers) d();
    disposers = [];
    polls.installed = "sync";
  }
}

function installHooks(mode: PollMode): void {
  if (mode === "promise-hooks") {
    const stop = promiseHooks.createHook({
      init: safeInit,
      before: safeBefore,
      after: safeAfter,
      settled: safeSettled,
    });
    const hook = createHook({
      before: safeBefore,
      after: safeAfter,
      trackPromises: false,
    } as Parameters<typeof createHook>[0]);
    hook.enable();
    disposers.push(
      () => (stop as () => void)(),
      () => hook.disable(),
    );
    polls.coalesce = true;
  } else if (mode === "async-hooks") {
    const hook = createHook({ before: safeBefore, after: safeAfter });
    hook.enable();
    disposers.push(() => hook.disable());
    polls.coalesce = true;
  }
}

// ---- hooks: never throw (a throwing async hook kills the process), never allocate ----

function safeInit(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
  try {
    onInit(promise, parent);
  } catch {
    // instrumentation never throws into the program
  }
}
function safeSettled(promise: Promise<unknown>): void {
  try {
    onSettled(promise);
  } catch {
    // as above
  }
}
function safeBefore(x?: unknown): void {
  try {
    if (
      flushImmediate !== undefined &&
      typeof x === "number" &&
      executionAsyncResource() === flushImmediate
    ) {
      // Our own flush: invisible to the poll stack. It runs straight from the event loop, so
      // anything still on the stack lost its after hook (a callback that threw): unwind it.
      if (stack.length > 0) unwind();
      stack.push(undefined);
      emitted.push(false);
      return;
    }
    // promiseHooks pass the job's promise; async_hooks an id, with the promise as the resource.
    const job =
      typeof x === "object" && x !== null
        ? (x as Tagged)
        : polls.installed === "async-hooks" || polls.anyBound
          ? (executionAsyncResource() as Tagged | undefined)
          : undefined;
    onBefore(job?.[FIRST_RUN], typeof x === "number" ? job?.[BOUND] : undefined);
  } catch {
    // as above
  }
}
function safeAfter(): void {
  try {
    onAfter();
  } catch {
    // as above
  }
}

function onInit(_promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
  // `await p` / `p.then()` inside a task: when p settles, that task is woken. A settled p is
  // never tagged, so long-lived resolved promises do not keep the last task that awaited them.
  if (parent === undefined || (parent as Tagged)[WAITER] === SETTLED) return;
  const t = taskStore.getStore();
  if (t === undefined || t.spanId === undefined) return;
  try {
    (parent as Tagged)[WAITER] = t;
  } catch {
    // a frozen promise (modules are strict): it cannot report its wake, the next slice will
  }
}

function onSettled(promise: Promise<unknown>): void {
  const t = (promise as Tagged)[WAITER];
  try {
    (promise as Tagged)[WAITER] = SETTLED;
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
    if (flushImmediate === undefined) flushImmediate = setImmediate(flushPending);
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

function flushPending(): void {
  if (flushImmediate !== undefined) {
    clearImmediate(flushImmediate);
    flushImmediate = undefined;
  }
  const t = polls.pendingExit;
  if (t === undefined) return;
  polls.pendingExit = undefined;
  endPoll(t, pollNow());
}

/**
 * On a timer or other async resource: its callbacks are instrumentation's own work (the console
 * subscriber's publish timer), not the program's, so they are no slice of the root. Without this
 * the root would be mid-poll at every publish, and so always shown running.
 */
export const INTERNAL = Symbol.for("periscope.internal");

/** The task a slice belongs to: its own, or the root for work outside tasks and after a task ended. */
function sliceOwner(bound: Task | undefined): Task | undefined {
  const t = taskStore.getStore();
  if (t !== undefined && !t.done && t.spanId !== undefined) return t;
  if (bound !== undefined && !bound.done && bound.spanId !== undefined) return bound;
  if (!rootEnabled) return undefined;
  const res = executionAsyncResource() as { [INTERNAL]?: boolean } | undefined;
  return res?.[INTERNAL] === true ? undefined : rootTask();
}

function rootTask(): Task | undefined {
  const r = root;
  if (r !== undefined && r.span.subscriber === globalDefault())
    return r.spanId === undefined ? undefined : r;
  if (r === undefined && !SPAWN.enabled()) return undefined;
  if (r !== undefined) r.span.close();
  root = makeRoot();
  return root.spanId === undefined ? undefined : root;
}

function makeRoot(): Task {
  const id = nextTaskId();
  const span = SPAWN.span(
    {
      kind: "root",
      "task.name": "root",
      "task.id": id,
      "loc.file": process.argv[1] === undefined ? "<main>" : displayPath(process.argv[1]),
      "loc.line": 1,
      "loc.col": 1,
    },
    null,
  );
  const t = new Task(id, "root", span, true);
  waker(t, "waker.clone");
  return t;
}

/** The poll stack's depth; for tests. */
export function pollDepth(): number {
  return stack.length;
}
