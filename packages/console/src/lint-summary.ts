// What the warnings header shows after an update: each task's lints brought up to date where they
// can have changed, counted per lint, with the task each lint's line points at.
import { type LintContext, lintTask } from "./lints.ts";
import type { LintId, Task } from "./model.ts";
import { stateAt } from "./task-math.ts";

export interface LintSummary {
  counts: Map<LintId, number>;
  /** Per lint, the task it points at: the longest poll for long-poll, else the oldest task. */
  examples: Map<LintId, Task>;
}

/**
 * Re-lints the tasks that `changed` names, and running or scheduled ones whose verdict moves with
 * time (every task when `all`), then counts every task's warnings.
 */
export function summariseLints(
  tasks: Iterable<Task>,
  changed: ReadonlySet<Task>,
  all: boolean,
  lints: readonly LintId[],
  cx: LintContext,
): LintSummary {
  const counts = new Map<LintId, number>();
  const examples = new Map<LintId, Task>();
  for (const t of tasks) {
    if (all || changed.has(t) || isActive(t)) {
      t.warnings = lints.length === 0 ? [] : lintTask(t, lints, cx);
    }
    for (const w of t.warnings) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      const ex = examples.get(w);
      if (
        !ex ||
        (w === "long-poll" ? t.longestPollAtLeast > ex.longestPollAtLeast : t.seq < ex.seq)
      ) {
        examples.set(w, t);
      }
    }
  }
  return { counts, examples };
}

/** Running or scheduled: the states whose durations grow between updates. */
function isActive(t: Task): boolean {
  const s = stateAt(t, 0);
  return s === "running" || s === "scheduled";
}
