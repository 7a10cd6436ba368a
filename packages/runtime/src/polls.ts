// Poll accounting: a task's slices of code (promise jobs, callbacks), coalesced while they run back
// to back, are entered and exited on its span, and wakes are waker events, as tokio's scheduler does.
import { createHook, executionAsyncResource } from "node:async_hooks";
import { promiseHooks } from "node:v8";
import { globalDefault, type Subscriber } from "@periscope/tracing";
import { SPAWN, WAKER } from "./callsites.ts";
import { displayPath } from "./location.ts";
import { nextTaskId, Task, taskStore } from "./task-state.ts";

/**
 * - "promise-hooks": V8 promise hooks for await resumptions (with precise wakes from `settled`)
 *   plus async_hooks before/after with `trackPromises: false` for callbacks (nodejs/node#61415,
 *   early 2026; feature-detected, present in the pinned Node 24).
 * - "async-hooks": one async_hooks hook that also tracks promises (older Node); wakes are
 *   recorded when a slice starts.
 * - "sync": no hooks: only a task's first synchronous run is a poll, and there is no root task.
 */
export type PollMode = "promise-hooks" | "async-hooks" | "sync";

export interface RuntimeOptions {
  /** "auto" (default) picks promise-hooks where trackPromises exists, else async-hooks. */
  polls?: PollMode | "auto";
  /** Count work outside any spawned task under an implicit root task (default true). */
  root?: boolean;
}

const WAITER = Symbol("periscope.runtime.waiter");
/**
 * On the promise of a task's first job, set by spawn: the job's async context is still the
 * caller's (run() enters the task's own context inside the job, which saves two context-frame
 * copies per task), so the hooks learn whose slice it is from this tag.
 */
export const FIRST_RUN = Symbol("periscope.runtime.firstRun");
/** Marks a settled promise: chaining on it wakes nobody later. */
const SETTLED = 0;
/** On an async resource (a parser, a handle): its callbacks are polls of this task. */
const BOUND = Symbol("periscope.runtime.bound");
interface Tagged {
  [WAITER]?: Task | typeof SETTLED | undefined;
  [FIRST_RUN]?: Task | undefined;
  [BOUND]?: Task | undefined;
}
/** Set once anything was bound: until then a callback slice costs no resource lookup. */
let anyBound = false;

let installed: PollMode | undefined;
let disposers: (() => void)[] = [];
let rootEnabled = true;
let root: Task | undefined;

// The poll stack: slices can nest (runInAsyncScope, re-entrant emitters), so each before pushes
// and each after pops; enter/exit are emitted only when the task actually changes.
const stack: (Task | undefined)[] = [];
const emitted: boolean[] = [];

// Coalescing: a task's slices that run back to back, with no other slice in between, are one
// poll, as a tokio poll runs until the task yields. The exit is held until the next slice starts,
// or until an immediate queued behind the current microtask drain runs, so it is stamped on time.
let coalesce = false;
let pendingExit: Task | undefined;
let flushImmediate: NodeJS.Immediate | undefined;

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
  return installed;
}

/** Installs hooks on first use by an enabled task span. */
export function ensurePolls(): void {
  if (installed === undefined) install(resolveMode(undefined));
}

function uninstall(): void {
  flushPending();
  coalesce = false;
  for (const d of disposers) d();
  // Slices in progress will not see their after hook: let their tasks close normally.
  for (const t of stack) if (t !== undefined && t.onStack > 0) t.onStack--;
  disposers = [];
  installed = undefined;
  stack.length = 0;
  emitted.length = 0;
}

function install(mode: PollMode): void {
  try {
    installHooks(mode);
    installed = mode;
  } catch {
    // Hooks unavailable here: fall back honestly to first-run polls only.
    for (const d of disposers) d();
    disposers = [];
    installed = "sync";
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
    coalesce = true;
  } else if (mode === "async-hooks") {
    const hook = createHook({ before: safeBefore, after: safeAfter });
    hook.enable();
    disposers.push(() => hook.disable());
    coalesce = true;
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
        : installed === "async-hooks" || anyBound
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
  if (pendingExit === t) flushPending();
  wake(t);
}

function onBefore(first: Task | undefined, bound: Task | undefined): void {
  const t =
    first !== undefined && !first.done && first.spanId !== undefined ? first : sliceOwner(bound);
  const pending = pendingExit;
  if (pending !== undefined) {
    pendingExit = undefined;
    if (t === pending && stack.length === 0) {
      // The same task again, straight after its last slice: the poll goes on.
      t.onStack++;
      stack.push(t);
      emitted.push(true);
      return;
    }
    endPoll(pending);
  }
  const top = stack.length === 0 ? undefined : stack[stack.length - 1];
  let e = false;
  if (t !== undefined) {
    t.onStack++;
    if (t !== top) {
      enterPoll(t);
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
  if (e && coalesce && stack.length === 0) {
    pendingExit = t;
    if (flushImmediate === undefined) flushImmediate = setImmediate(flushPending);
    return;
  }
  if (e) exitPoll(t);
  if (t.done && t.onStack === 0) closeTask(t);
}

function unwind(): void {
  while (stack.length > 0) {
    const t = stack.pop();
    const e = emitted.pop();
    if (t === undefined) continue;
    t.onStack--;
    if (e) exitPoll(t);
    if (t.done && t.onStack === 0) closeTask(t);
  }
}

function flushPending(): void {
  if (flushImmediate !== undefined) {
    clearImmediate(flushImmediate);
    flushImmediate = undefined;
  }
  const t = pendingExit;
  if (t === undefined) return;
  pendingExit = undefined;
  endPoll(t);
}

/** Exits a poll whose exit was held, and closes the task if it finished meanwhile. */
function endPoll(t: Task): void {
  exitPoll(t);
  if (t.done && t.onStack === 0) closeTask(t);
}

/** The task a slice belongs to: its own, or the root for work outside tasks and after a task ended. */
function sliceOwner(bound: Task | undefined): Task | undefined {
  const t = taskStore.getStore();
  if (t !== undefined && !t.done && t.spanId !== undefined) return t;
  if (bound !== undefined && !bound.done && bound.spanId !== undefined) return bound;
  return rootEnabled ? rootTask() : undefined;
}

/**
 * The rest of the slice running now belongs to `t` (its context and its poll), as if a callback
 * of `t` had started here: for work that becomes a task in the middle of someone else's callback
 * (an HTTP request parsed in a connection's callback). Outside any hooked slice (the main
 * module's first run) only the context changes: there is no end of slice to close a poll at.
 */
export function switchSlice(t: Task): void {
  taskStore.enterWith(t);
  if (t.spanId === undefined || t.done) return;
  ensurePolls();
  const i = stack.length - 1;
  if (i < 0 || installed === "sync") return;
  const top = stack[i];
  if (top === t) return;
  if (top !== undefined) {
    top.onStack--;
    if (emitted[i]) exitPoll(top);
    if (top.done && top.onStack === 0) closeTask(top);
  }
  t.onStack++;
  enterPoll(t);
  stack[i] = t;
  emitted[i] = true;
}

/** The callbacks of async resource `resource` (outside any task's context) are polls of `t`. */
export function bindResource(resource: object, t: Task): void {
  try {
    (resource as Tagged)[BOUND] = t;
    anyBound = true;
  } catch {
    // a frozen resource: its callbacks stay the root's
  }
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

// ---- emission ----

function enterPoll(t: Task): void {
  // The root is the event loop's own work, never woken: it records no wakes (one event fewer
  // per slice of non-task code).
  if (!t.woken && !t.isRoot) wake(t);
  t.woken = false;
  const sub = t.span.subscriber as Subscriber;
  try {
    sub.enter(t.spanId as bigint);
  } catch {
    // a failing subscriber loses its own data only
  }
}

function exitPoll(t: Task): void {
  const sub = t.span.subscriber as Subscriber;
  try {
    sub.exit(t.spanId as bigint);
  } catch {
    // as above
  }
}

/** Records that `t` was woken (wake_by_ref keeps the task's waker count unchanged). */
export function wake(t: Task): void {
  t.woken = true;
  waker(t, "waker.wake_by_ref");
}

export function waker(t: Task, op: string): void {
  if (t.spanId !== undefined) wakerFor(t.spanId, op);
}

/** A waker event for the task whose span id is `spanId` (tokio: `task.id` is the span id). */
export function wakerFor(spanId: bigint, op: string): void {
  if (WAKER.enabled()) WAKER.event({ op, "task.id": spanId });
}

/** The task finished: the span closes now, or when its poll in progress exits. */
export function finishTask(t: Task): void {
  if (t.done) return;
  t.done = true;
  if (t.lostToken !== undefined) t.lostToken.finished = true;
  if (t.onStack === 0) closeTask(t);
}

function closeTask(t: Task): void {
  if (t.spanId === undefined) return;
  if (pendingExit === t) {
    pendingExit = undefined;
    exitPoll(t);
  }
  waker(t, "waker.drop");
  t.spanId = undefined;
  t.span.close();
}

/** The poll stack's depth; for tests. */
export function pollDepth(): number {
  return stack.length;
}
