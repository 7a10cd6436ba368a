// @periscope/runtime's internals (tokio's naming) as the OpenTelemetry layer treats them: a task
// span is see-through (what runs in the task joins the spawner's trace), the rest is not exported.
import type { Metadata } from "@periscope/tracing";

/** 0: an ordinary span or event; 1: a task span (runtime.spawn); 2: any other runtime internal. */
export type RuntimeRole = 0 | 1 | 2;

export function runtimeRole(meta: Metadata): RuntimeRole {
  if (meta.kind === "span") {
    if (meta.name === "runtime.spawn") return 1;
    return meta.name.startsWith("runtime.resource") ? 2 : 0;
  }
  // Waker, poll-op and state-update events, and tokio's own waker target.
  return meta.target.startsWith("runtime::") || meta.target === "tokio::task::waker" ? 2 : 0;
}
