// Every span and event the runtime emits, declared once with tokio's names, targets and fields
// (see README "Conventions emitted"), so a disabled one costs a compare and a load.
import { callsite, Level } from "@periscope/tracing";

const LOC = ["loc.file", "loc.line", "loc.col"] as const;

/** A task: tokio's `runtime.spawn` span (tokio/src/util/trace.rs). */
export const SPAWN = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::task",
  name: "runtime.spawn",
  fields: ["kind", "task.name", "task.id", ...LOC],
});

/** Waker operations on a task; `task.id` is the task span's id, as in tokio. */
export const WAKER = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::waker",
  name: "waker",
  fields: ["op", "task.id"],
});

/** Resource spans are declared per target so filters can pick e.g. only timers. */
export function resourceCallsite(target: string): ReturnType<typeof callsite> {
  return callsite({
    kind: "span",
    level: Level.TRACE,
    target,
    name: "runtime.resource",
    fields: ["concrete_type", "kind", "is_internal", "inherits_child_attrs", ...LOC],
  });
}

export const ASYNC_OP = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::util::trace",
  name: "runtime.resource.async_op",
  fields: ["source", "inherits_child_attrs"],
});

export const ASYNC_OP_POLL = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::util::trace",
  name: "runtime.resource.async_op.poll",
  fields: [],
});

/** Whether a resource's async op was ready when polled (tokio's trace_poll_op!). */
export const POLL_OP = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::resource::poll_op",
  name: "poll_op",
  fields: ["op_name", "is_ready"],
});

/** One attribute of a resource changed: `<attr>`, optional `<attr>.unit`, `<attr>.op`. */
export const STATE_UPDATE = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::resource::state_update",
  name: "state_update",
  fields: [],
});

/** One attribute of an async op changed, same suffix conventions. */
export const ASYNC_OP_STATE_UPDATE = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::resource::async_op::state_update",
  name: "state_update",
  fields: [],
});
