// The span names and event targets the console layer consumes, as tokio emits them and tokio's
// console-subscriber matches them: spans by name, events by target (see README "Conventions consumed").
import type { Metadata } from "@periscope/tracing";

export const SPAWN_SPAN = "runtime.spawn";
export const RESOURCE_SPAN = "runtime.resource";
export const ASYNC_OP_SPAN = "runtime.resource.async_op";
export const ASYNC_OP_POLL_SPAN = "runtime.resource.async_op.poll";
export const WAKER_TARGETS: readonly string[] = ["runtime::waker", "tokio::task::waker"];
export const POLL_OP_TARGET = "runtime::resource::poll_op";
export const RESOURCE_STATE_UPDATE_TARGET = "runtime::resource::state_update";
export const ASYNC_OP_STATE_UPDATE_TARGET = "runtime::resource::async_op::state_update";

/** What a callsite is to the console; NONE means the console layer ignores it. */
export const Role = {
  NONE: 0,
  SPAWN: 1,
  RESOURCE: 2,
  ASYNC_OP: 3,
  ASYNC_OP_POLL: 4,
  WAKER: 5,
  POLL_OP: 6,
  RESOURCE_STATE: 7,
  ASYNC_OP_STATE: 8,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export function classify(meta: Metadata): Role {
  if (meta.kind === "span") {
    switch (meta.name) {
      case SPAWN_SPAN:
        return Role.SPAWN;
      case RESOURCE_SPAN:
        return Role.RESOURCE;
      case ASYNC_OP_SPAN:
        return Role.ASYNC_OP;
      case ASYNC_OP_POLL_SPAN:
        return Role.ASYNC_OP_POLL;
      default:
        // tokio's older naming: a span "task" on target "tokio::task".
        return meta.name === "task" && meta.target === "tokio::task" ? Role.SPAWN : Role.NONE;
    }
  }
  if (WAKER_TARGETS.includes(meta.target)) return Role.WAKER;
  if (meta.target === POLL_OP_TARGET) return Role.POLL_OP;
  if (meta.target === RESOURCE_STATE_UPDATE_TARGET) return Role.RESOURCE_STATE;
  if (meta.target === ASYNC_OP_STATE_UPDATE_TARGET) return Role.ASYNC_OP_STATE;
  return Role.NONE;
}
