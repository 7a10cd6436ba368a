// Moving a slice to another task mid-callback: for work that becomes a task inside someone else's
// callback (an HTTP request parsed in a connection's), and async resources whose callbacks are a task's.
import { closeTask, enterPoll, exitPoll, pollNow } from "./poll-emit.ts";
import { BOUND, polls, type Tagged } from "./poll-state.ts";
import { ensurePolls } from "./polls.ts";
import { type Task, taskStore } from "./task-state.ts";

/**
 * The rest of the slice running now belongs to `t` (its context and its poll), as if a callback
 * of `t` had started here. Outside any hooked slice (the main module's first run) only the
 * context changes: there is no end of slice to close a poll at.
 */
export function switchSlice(t: Task): void {
  taskStore.enterWith(t);
  if (t.spanId === undefined || t.done) return;
  ensurePolls();
  const { stack, emitted } = polls;
  const i = stack.length - 1;
  if (i < 0 || polls.installed === "sync") return;
  const top = stack[i];
  if (top === t) return;
  const at = pollNow();
  if (top !== undefined) {
    top.onStack--;
    if (emitted[i]) exitPoll(top, at);
    if (top.done && top.onStack === 0) closeTask(top);
  }
  t.onStack++;
  enterPoll(t, at);
  stack[i] = t;
  emitted[i] = true;
}

/** The callbacks of async resource `resource` (outside any task's context) are polls of `t`. */
export function bindResource(resource: object, t: Task): void {
  try {
    (resource as Tagged)[BOUND] = t;
    polls.anyBound = true;
  } catch {
    // a frozen resource: its callbacks stay the root's
  }
}
