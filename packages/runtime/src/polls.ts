// Poll accounting: a task's slices of code (promise jobs, callbacks), coalesced while they run back
// to back, are entered and exited on its span, and wakes are waker events, as tokio's scheduler does.
import { createHook } from "node:async_hooks";
import { promiseHooks } from "node:v8";
import {
  flushPending,
  safeAfter,
  safeBefore,
  safeInit,
  safePromiseBefore,
  safeSettled,
} from "./poll-hooks.ts";
import { rootConfig } from "./poll-root.ts";
import { type PollMode, polls } from "./poll-state.ts";

export type { PollMode };

/*
 * The modes (PollMode):
 * - "promise-hooks": V8 promise hooks for await resumptions (with precise wakes from `settled`)
 *   plus async_hooks before/after with `trackPromises: false` for callbacks (nodejs/node#61415,
 *   early 2026; feature-detected, present in the pinned Node 24).
 * - "async-hooks": one async_hooks hook that also tracks promises (older Node); wakes are
 *   recorded when a slice starts.
 * - "sync": no hooks: only a task's first synchronous run is a poll, and there is no root task.
 */

export interface RuntimeOptions {
  /** "auto" (default) picks promise-hooks where trackPromises exists, else async-hooks. */
  polls?: PollMode | "auto";
  /** Count work outside any spawned task under an implicit root task (default true). */
  root?: boolean;
  /**
   * How the root's slices become polls: "turn" (default) sums a turn's root slices into one poll
   * told at the turn's end; "slice" tells each run of root slices as its own poll, as tasks'.
   */
  rootPolls?: RootPolls;
}

/** See RuntimeOptions.rootPolls. */
export type RootPolls = "turn" | "slice";

let disposers: (() => void)[] = [];
const { stack, emitted } = polls;

/** Whether this Node can exclude promises from an async_hooks hook (trackPromises: false). */
export function supportsTrackPromises(): boolean {
  let seen = 0;
  try {
    const hook = createHook({
      init(_id, type) {
        if (type === "PROMISE") seen++;
      },
      trackPromises: false,
    } as Parameters<typeof createHook>[0]);
    hook.enable();
    void Promise.resolve();
    hook.disable();
  } catch {
    return false;
  }
  return seen === 0;
}

const MODES = ["auto", "promise-hooks", "async-hooks", "sync"];

function resolveMode(requested: PollMode | "auto" | undefined): PollMode {
  let want: string = requested ?? process.env.PERISCOPE_RUNTIME_POLLS ?? "auto";
  if (!MODES.includes(want)) {
    process.emitWarning(
      `PERISCOPE_RUNTIME_POLLS=${JSON.stringify(want).slice(0, 40)} is not one of ${MODES.join(", ")}; using auto`,
      { code: "PERISCOPE_INVALID_ARGUMENT" },
    );
    want = "auto";
  }
  // promise-hooks needs trackPromises: false, or every promise would be seen twice.
  if (want === "promise-hooks" || want === "auto")
    return supportsTrackPromises() ? "promise-hooks" : "async-hooks";
  return want as PollMode;
}

function resolveRootPolls(requested: RootPolls | undefined): RootPolls {
  const want = requested ?? process.env.PERISCOPE_RUNTIME_ROOT_POLLS ?? "turn";
  if (want === "turn" || want === "slice") return want;
  process.emitWarning(
    `PERISCOPE_RUNTIME_ROOT_POLLS=${JSON.stringify(want).slice(0, 40)} is not one of turn, slice; using turn`,
    { code: "PERISCOPE_INVALID_ARGUMENT" },
  );
  return "turn";
}

/** (Re)configures poll accounting; returns the mode now in force. */
export function configureRuntime(opts: RuntimeOptions = {}): PollMode {
  uninstall();
  rootConfig.enabled = opts.root ?? process.env.PERISCOPE_RUNTIME_ROOT !== "0";
  polls.rootPerTurn = resolveRootPolls(opts.rootPolls) === "turn";
  const mode = resolveMode(opts.polls);
  install(mode);
  return mode;
}

/** The mode in force, or undefined before the first instrumented spawn. */
export function pollMode(): PollMode | undefined {
  return polls.installed;
}

/** Installs hooks on first use by an enabled task span. */
export function ensurePolls(): void {
  if (polls.installed !== undefined) return;
  polls.rootPerTurn = resolveRootPolls(undefined) === "turn";
  install(resolveMode(undefined));
}

function uninstall(): void {
  flushPending();
  polls.coalesce = false;
  for (const d of disposers) d();
  // Slices in progress will not see their after hook: let their tasks close normally.
  for (const t of stack) if (t !== undefined && t.onStack > 0) t.onStack--;
  disposers = [];
  polls.installed = undefined;
  stack.length = 0;
  emitted.length = 0;
}

function install(mode: PollMode): void {
  try {
    installHooks(mode);
    polls.installed = mode;
  } catch {
    // Hooks unavailable here: fall back honestly to first-run polls only.
    for (const d of disposers) d();
    disposers = [];
    polls.installed = "sync";
  }
}

function installHooks(mode: PollMode): void {
  if (mode === "promise-hooks") {
    const stop = promiseHooks.createHook({
      init: safeInit,
      before: safePromiseBefore,
      after: safeAfter,
      settled: safeSettled,
    });
    const hook = createHook({
      before: safeBefore,
      after: safeAfter,
      trackPromises: false,
    } as Parameters<typeof createHook>[0]);
    hook.enable();
    disposers.push(
      () => (stop as () => void)(),
      () => hook.disable(),
    );
    polls.coalesce = true;
  } else if (mode === "async-hooks") {
    const hook = createHook({ before: safeBefore, after: safeAfter });
    hook.enable();
    disposers.push(() => hook.disable());
    polls.coalesce = true;
  }
}

/** The poll stack's depth; for tests. */
export function pollDepth(): number {
  return stack.length;
}
