// Task lints: tokio-console's (self-wakes, lost-waker, never-yielded, auto-boxed-future,
// large-future) plus long-poll, which in Node means the event loop was blocked by one poll.
import { formatDuration } from "./duration.ts";
import type { LintId, Task } from "./model.ts";
import { busyAt, isBlocking, selfWakePercent, stateAt } from "./task-math.ts";

export const ALL_LINTS: readonly LintId[] = [
  "self-wakes",
  "lost-waker",
  "never-yielded",
  "long-poll",
  "auto-boxed-future",
  "large-future",
  "lock-held",
  "channel-growing",
];

/** The task lints (the rest, in resource-lints.ts, look at resources). */
const TASK_LINTS = new Set<LintId>([
  "self-wakes",
  "lost-waker",
  "never-yielded",
  "long-poll",
  "auto-boxed-future",
  "large-future",
]);

export const SELF_WAKE_PERCENT = 50;
export const NEVER_YIELDED_NS = 1e9;
/** One poll this long keeps every other callback in the process waiting. */
export const LONG_POLL_NS = 50e6;
export const LARGE_FUTURE_BYTES = 1024;

export interface LintContext {
  now: number;
  /** Whether the server reports waker clones at all; lost-waker means nothing otherwise. */
  tracksWakers: boolean;
}

interface Lint {
  check(t: Task, cx: LintContext): boolean;
  describe(t: Task, cx: LintContext): string;
  summary: string;
}

const LINTS: Partial<Record<LintId, Lint>> = {
  "self-wakes": {
    check: (t) => !isBlocking(t) && selfWakePercent(t) > SELF_WAKE_PERCENT,
    describe: (t) =>
      `This task has woken itself for more than ${SELF_WAKE_PERCENT}% of its total wakeups (${selfWakePercent(t)}%)`,
    summary: `tasks have woken themselves over ${SELF_WAKE_PERCENT}% of the time`,
  },
  "lost-waker": {
    check: (t, cx) =>
      cx.tracksWakers &&
      !isBlocking(t) &&
      t.droppedAt === undefined &&
      t.wakerClones - t.wakerDrops <= 0 &&
      stateAt(t, cx.now) === "idle" &&
      t.polls > 0,
    describe: () => "This task has lost its waker, and will never be woken again.",
    summary: "tasks have lost their wakers",
  },
  "never-yielded": {
    check: (t, cx) =>
      !isBlocking(t) &&
      stateAt(t, cx.now) === "running" &&
      t.polls <= 1 &&
      busyAt(t, cx.now) >= NEVER_YIELDED_NS,
    describe: (t, cx) =>
      `This task has never yielded (${formatDuration(busyAt(t, cx.now), 2).text})`,
    summary: `tasks have never yielded (threshold ${NEVER_YIELDED_NS / 1e6}ms)`,
  },
  "long-poll": {
    check: (t, cx) => {
      if (isBlocking(t)) return false;
      if (t.longestPollAtLeast >= LONG_POLL_NS) return true;
      return (
        stateAt(t, cx.now) === "running" && cx.now - (t.lastPollStarted ?? cx.now) >= LONG_POLL_NS
      );
    },
    describe: (t, cx) => {
      const current = stateAt(t, cx.now) === "running" ? cx.now - (t.lastPollStarted ?? cx.now) : 0;
      const worst = Math.max(current, t.longestPollAtLeast);
      return `This task blocked the event loop for at least ${formatDuration(worst, 2).text} in one poll`;
    },
    summary: `tasks blocked the event loop in one poll (threshold ${LONG_POLL_NS / 1e6}ms)`,
  },
  "auto-boxed-future": {
    check: (t) =>
      t.sizeBytes !== undefined &&
      t.originalSizeBytes !== undefined &&
      t.sizeBytes !== t.originalSizeBytes,
    describe: (t) =>
      `This task's future was auto-boxed by the runtime when spawning, due to its size (originally ${t.originalSizeBytes} bytes, boxed size ${t.sizeBytes} bytes)`,
    summary: "tasks have been boxed by the runtime due to their size",
  },
  "large-future": {
    check: (t) => !isBlocking(t) && (t.sizeBytes ?? 0) >= LARGE_FUTURE_BYTES,
    describe: (t) => `This task occupies a large amount of stack space (${t.sizeBytes} bytes)`,
    summary: `tasks are ${LARGE_FUTURE_BYTES} bytes or larger`,
  },
};

/** The lints that apply to `t` now, in `enabled` order. */
export function lintTask(t: Task, enabled: readonly LintId[], cx: LintContext): LintId[] {
  const out: LintId[] = [];
  for (const id of enabled) if (TASK_LINTS.has(id) && LINTS[id]?.check(t, cx)) out.push(id);
  return out;
}

export function describeLint(id: LintId, t: Task, cx: LintContext): string {
  return LINTS[id]?.describe(t, cx) ?? id;
}

export function lintSummary(id: LintId): string {
  return LINTS[id]?.summary ?? id;
}

export function isLintId(s: string): s is LintId {
  return (ALL_LINTS as readonly string[]).includes(s);
}

/**
 * Applies -W and -A as tokio-console does: -W names the lints to run (default all), -A removes
 * some or "all". Unknown names are an error the CLI reports.
 */
export function resolveLints(warn: string[], allow: string[]): LintId[] | { unknown: string } {
  const split = (xs: string[]) =>
    xs
      .flatMap((x) => x.split(","))
      .map((x) => x.trim())
      .filter(Boolean);
  const w = split(warn);
  const a = split(allow);
  for (const name of [...w, ...a]) {
    if (name !== "all" && !isLintId(name)) return { unknown: name };
  }
  let enabled: LintId[] = w.length === 0 || w.includes("all") ? [...ALL_LINTS] : (w as LintId[]);
  if (a.includes("all")) enabled = [];
  else enabled = enabled.filter((id) => !a.includes(id));
  return enabled;
}
