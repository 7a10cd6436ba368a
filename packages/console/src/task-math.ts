// Derived task figures at a point in time, as tokio-console computes them: a running task's
// busy time and a scheduled task's waiting time keep growing until the next update says otherwise.
import type { AsyncOp, Task, TaskState } from "./model.ts";

export function isBlocking(t: Task): boolean {
  return t.kind === "blocking" || t.kind === "block_on";
}

function after(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined) return false;
  return b === undefined || a > b;
}

export function stateAt(t: Task, _now: number): TaskState {
  if (t.droppedAt !== undefined) return "done";
  if (after(t.lastPollStarted, t.lastPollEnded)) return "running";
  if (after(t.lastWake, t.lastPollStarted)) return "scheduled";
  return "idle";
}

export function totalAt(t: Task, now: number): number {
  return Math.max(0, (t.droppedAt ?? now) - t.createdAt);
}

export function busyAt(t: Task, now: number): number {
  if (t.droppedAt === undefined && after(t.lastPollStarted, t.lastPollEnded)) {
    return t.busy + Math.max(0, now - (t.lastPollStarted as number));
  }
  return t.busy;
}

export function scheduledAt(t: Task, now: number): number {
  if (t.droppedAt === undefined && after(t.lastWake, t.lastPollStarted)) {
    return t.scheduled + Math.max(0, now - (t.lastWake as number));
  }
  return t.scheduled;
}

export function idleAt(t: Task, now: number): number {
  return Math.max(0, totalAt(t, now) - busyAt(t, now) - scheduledAt(t, now));
}

export function selfWakePercent(t: Task): number {
  return t.wakes === 0 ? 0 : Math.floor((t.selfWakes * 100) / t.wakes);
}

export function opTotalAt(op: AsyncOp, now: number): number {
  return Math.max(0, (op.droppedAt ?? now) - op.createdAt);
}

export function opBusyAt(op: AsyncOp, now: number): number {
  if (op.droppedAt === undefined && after(op.lastPollStarted, op.lastPollEnded)) {
    return op.busy + Math.max(0, now - (op.lastPollStarted as number));
  }
  return op.busy;
}

export function opIdleAt(op: AsyncOp, now: number): number {
  return Math.max(0, opTotalAt(op, now) - opBusyAt(op, now));
}
