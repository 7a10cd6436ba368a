// The implicit root task: the owner of slices that run outside every spawned task (module top
// level, accept callbacks, libraries), so no work is lost from the totals.
import { executionAsyncResource } from "node:async_hooks";
import { globalDefault } from "@periscope/tracing";
import { SPAWN } from "./callsites.ts";
import { displayPath } from "./location.ts";
import { flushRoot, waker } from "./poll-emit.ts";
import { polls } from "./poll-state.ts";
import { nextTaskId, Task, taskStore } from "./task-state.ts";

/**
 * On a timer or other async resource: its callbacks are instrumentation's own work (the console
 * subscriber's publish timer), not the program's, so they are no slice of the root. Without this
 * the root would be mid-poll at every publish, and so always shown running.
 */
export const INTERNAL = Symbol.for("periscope.internal");

let root: Task | undefined;
export const rootConfig = { enabled: true };

/** The task a slice belongs to: its own, or the root for work outside tasks and after a task ended. */
export function sliceOwner(bound: Task | undefined): Task | undefined {
  const t = taskStore.getStore();
  if (t !== undefined && !t.done && t.spanId !== undefined) return t;
  if (bound !== undefined && !bound.done && bound.spanId !== undefined) return bound;
  if (!rootConfig.enabled) return undefined;
  const res = executionAsyncResource() as { [INTERNAL]?: boolean } | undefined;
  return res?.[INTERNAL] === true ? undefined : rootTask();
}

function rootTask(): Task | undefined {
  const r = root;
  if (r !== undefined && r.span.subscriber === globalDefault())
    return r.spanId === undefined ? undefined : r;
  if (r === undefined && !SPAWN.enabled()) return undefined;
  if (r !== undefined) {
    // The old root's held polls go to the subscriber they were made under.
    if (polls.rootTask === r) flushRoot();
    r.span.close();
  }
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
