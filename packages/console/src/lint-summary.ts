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
 * Keeps every task's warnings current across updates without walking all tasks each time (with
 * 10,000 tasks of which 100 change a second, the walk was most of the console's idle CPU): only
 * the tasks an update changed are re-linted, plus the running ones, whose verdicts (never
 * yielded, long poll) move with time; the counts are made from the tasks that have a warning.
 */
export class LintTracker {
  /** Tasks with at least one warning. */
  readonly #warned = new Set<Task>();
  /** Tasks running at their last lint: they are linted again on every update. */
  readonly #running = new Set<Task>();

  /**
   * Re-lints `changed` and the running tasks (every task when `all`); `has` says whether a task
   * is still listed (one that left is forgotten). Returns the counts over all listed tasks.
   */
  update(
    tasks: Iterable<Task>,
    has: (t: Task) => boolean,
    changed: ReadonlySet<Task>,
    all: boolean,
    lints: readonly LintId[],
    cx: LintContext,
  ): LintSummary {
    if (all) {
      this.#warned.clear();
      this.#running.clear();
      for (const t of tasks) this.#lint(t, lints, cx);
    } else {
      for (const t of [...this.#running]) if (!changed.has(t)) this.#relint(t, has, lints, cx);
      for (const t of changed) this.#relint(t, has, lints, cx);
    }
    const counts = new Map<LintId, number>();
    const examples = new Map<LintId, Task>();
    for (const t of this.#warned) {
      if (!has(t)) {
        this.#warned.delete(t);
        continue;
      }
      for (const w of t.warnings) {
        counts.set(w, (counts.get(w) ?? 0) + 1);
        const ex = examples.get(w);
        // Ties go to the oldest task, as a walk of the tasks in arrival order would pick.
        const better =
          ex === undefined ||
          (w === "long-poll"
            ? t.longestPollAtLeast > ex.longestPollAtLeast ||
              (t.longestPollAtLeast === ex.longestPollAtLeast && t.seq < ex.seq)
            : t.seq < ex.seq);
        if (better) examples.set(w, t);
      }
    }
    return { counts, examples };
  }

  #relint(t: Task, has: (t: Task) => boolean, lints: readonly LintId[], cx: LintContext): void {
    if (has(t)) this.#lint(t, lints, cx);
    else {
      this.#warned.delete(t);
      this.#running.delete(t);
    }
  }

  #lint(t: Task, lints: readonly LintId[], cx: LintContext): void {
    t.warnings = lints.length === 0 ? [] : lintTask(t, lints, cx);
    if (t.warnings.length > 0) this.#warned.add(t);
    else this.#warned.delete(t);
    if (stateAt(t, cx.now) === "running") this.#running.add(t);
    else this.#running.delete(t);
  }
}
