// The root task's polls in each rootPolls mode: "turn" sums a turn's root slices into one poll
// (exact busy time, tasks' polls between them excluded), "slice" tells each run of them apart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { configureRuntime, spawn } from "@periscope/runtime";
import { record } from "./recorder.ts";

const rec = record();

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* block */
  }
}

const rootSpan = (): bigint | undefined =>
  [...rec.spans].find(([, s]) => s.name === "runtime.spawn" && s.fields.kind === "root")?.[0];

/**
 * One turn: three immediates outside any task (5 ms each) each wake a task that then blocks
 * 3 ms, so the root's slices and the task's polls alternate within the turn's check phase.
 */
async function interleavedTurn(): Promise<{ root: number[]; task: number[]; wall: number }> {
  let wakeTask: (() => void) | undefined;
  let left = 3;
  const h = spawn(async () => {
    while (left > 0) {
      await new Promise<void>((r) => {
        wakeTask = r;
      });
      left--;
      block(3);
    }
  });
  await delay(2);
  rec.clear();
  // A root poll held when the log was cleared is told later, with its earlier start: skipped.
  const since = performance.now();
  let start = 0;
  let end = 0;
  await new Promise<void>((resolve) => {
    setTimeout(() => {
      start = performance.now();
      for (let i = 0; i < 3; i++)
        setImmediate(() => {
          block(5);
          wakeTask?.();
          if (i === 2) {
            end = performance.now();
            setImmediate(resolve);
          }
        });
    }, 1);
  });
  await h;
  await delay(2);
  const id = rootSpan();
  assert.ok(id !== undefined, "root task span");
  const polls = (span: bigint): number[] => {
    const out: number[] = [];
    let at = Number.NaN;
    for (const r of rec.of(span)) {
      if (r.kind === "enter") at = r.at;
      else if (r.kind === "exit" && at >= since) out.push(r.at - at);
    }
    return out;
  };
  return { root: polls(id), task: polls(rec.taskSpan(h.id)), wall: end - start };
}

test('rootPolls "turn" (the default): a turn\'s root slices are one poll of their summed time', async () => {
  configureRuntime();
  const { root, task, wall } = await interleavedTurn();
  const big = root.filter((ms) => ms >= 5);
  assert.equal(big.length, 1, `one root poll holds the three 5 ms slices (${root.join(", ")})`);
  const ms = big[0] as number;
  assert.ok(ms >= 15, `the root's busy time is the slices' sum (${ms})`);
  // The task's first two polls ran between the slices: they are not the root's busy time.
  assert.ok(ms <= wall - 6 + 1, `${ms} ms of root in a ${wall} ms turn with 6 ms of task polls`);
  assert.equal(task.filter((t) => t >= 3).length, 3, `the task's polls (${task.join(", ")})`);
});

test('rootPolls "slice": each run of root slices between task polls is its own poll', async () => {
  configureRuntime({ rootPolls: "slice" });
  try {
    const { root, task } = await interleavedTurn();
    assert.equal(root.filter((ms) => ms >= 5).length, 3, `root polls (${root.join(", ")})`);
    assert.equal(task.filter((t) => t >= 3).length, 3, `the task's polls (${task.join(", ")})`);
  } finally {
    configureRuntime();
  }
});

test("PERISCOPE_RUNTIME_ROOT_POLLS takes turn or slice; anything else warns and means turn", async () => {
  const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
  process.env.PERISCOPE_RUNTIME_ROOT_POLLS = "sometimes";
  try {
    configureRuntime();
  } finally {
    delete process.env.PERISCOPE_RUNTIME_ROOT_POLLS;
  }
  const w = (await warned) as Error & { code?: string };
  assert.equal(w.code, "PERISCOPE_INVALID_ARGUMENT");
  assert.match(w.message, /PERISCOPE_RUNTIME_ROOT_POLLS="sometimes" is not one of turn, slice/);
  const { root } = await interleavedTurn();
  // Fewer than the three polls "slice" gives (on a loaded machine a stall can end a turn early).
  assert.ok(root.filter((ms) => ms >= 5).length < 3, `turn, as the default (${root.join(", ")})`);
});
