// What poll accounting tells the subscriber: a task's poll entered and exited on its span, waker
// events, the task's close. One clock read per poll boundary, passed to every call at that instant.
import type { Subscriber } from "@periscope/tracing";
import { WAKER } from "./callsites.ts";
import { polls } from "./poll-state.ts";
import type { Task } from "./task-state.ts";

// Read once: the `performance` global is a lazy getter.
const perf = performance;

/**
 * Now, on the performance.now() scale. A poll boundary (one task's poll ends and the next one's
 * starts) reads it once and passes it to the exit, the wake and the enter, so subscribers that
 * time polls (the console) do not each read the clock: a read costs ~40 ns on a VM.
 */
export function pollNow(): number {
  return perf.now();
}

export function enterPoll(t: Task, at: number): void {
  if (t.isRoot && polls.rootPerTurn) {
    // Held: the turn's root slices become one poll in flushRoot (half the subscriber calls of a
    // server whose every socket callback only wakes its connection's task).
    if (polls.rootFirst < 0) {
      polls.rootFirst = at;
      polls.rootBusy = 0;
      polls.rootDepth = 0;
      polls.rootTask = t;
    }
    // A root slice nested in a task's inside a root slice (re-entrant emitters) is the outer one.
    if (polls.rootDepth++ === 0) polls.rootAt = at;
    return;
  }
  // The root is the event loop's own work, never woken: it records no wakes (one event fewer
  // per slice of non-task code).
  if (!t.woken && !t.isRoot) wake(t, at);
  t.woken = false;
  const sub = t.span.subscriber as Subscriber;
  try {
    sub.enter(t.spanId as bigint, at);
  } catch {
    // a failing subscriber loses its own data only
  }
}

export function exitPoll(t: Task, at: number): void {
  if (t.isRoot && polls.rootPerTurn) {
    if (polls.rootFirst >= 0 && polls.rootDepth > 0 && --polls.rootDepth === 0)
      polls.rootBusy += at - polls.rootAt;
    return;
  }
  const sub = t.span.subscriber as Subscriber;
  try {
    sub.exit(t.spanId as bigint, at);
  } catch {
    // as above
  }
}

/**
 * Tells the root's held slices as one poll: entered at the first slice's start, exited after
 * their summed duration, so its busy time is exact and its polls count turns.
 */
export function flushRoot(): void {
  const t = polls.rootTask;
  const first = polls.rootFirst;
  polls.rootFirst = -1;
  polls.rootTask = undefined;
  if (first < 0 || t === undefined || t.spanId === undefined) return;
  const sub = t.span.subscriber as Subscriber;
  try {
    sub.enter(t.spanId, first);
    sub.exit(t.spanId, first + polls.rootBusy);
  } catch {
    // as above
  }
}

/** Exits a poll whose exit was held, and closes the task if it finished meanwhile. */
export function endPoll(t: Task, at: number): void {
  exitPoll(t, at);
  if (t.done && t.onStack === 0) closeTask(t);
}

/** Records that `t` was woken (wake_by_ref keeps the task's waker count unchanged). */
export function wake(t: Task, at?: number): void {
  t.woken = true;
  waker(t, "waker.wake_by_ref", at);
}

export function waker(t: Task, op: string, at?: number): void {
  if (t.spanId !== undefined) wakerFor(t.spanId, op, at);
}

/** A waker event for the task whose span id is `spanId` (tokio: `task.id` is the span id). */
export function wakerFor(spanId: bigint, op: string, at?: number): void {
  if (WAKER.enabled()) WAKER.event({ op, "task.id": spanId }, undefined, undefined, at);
}

/** The task finished: the span closes now, or when its poll in progress exits. */
export function finishTask(t: Task): void {
  if (t.done) return;
  t.done = true;
  if (t.lostToken !== undefined) t.lostToken.finished = true;
  if (t.onStack === 0) closeTask(t);
}

export function closeTask(t: Task): void {
  if (t.spanId === undefined) return;
  if (polls.pendingExit === t) {
    polls.pendingExit = undefined;
    exitPoll(t, pollNow());
  }
  waker(t, "waker.drop");
  t.spanId = undefined;
  t.span.close();
}
