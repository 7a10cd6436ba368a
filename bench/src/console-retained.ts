import { join } from "node:path";
import { type BenchRow, childResult, median } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");

/**
 * The child: spawns BENCH_TASKS tasks of one kind in batches of 5,000, publishing after each, then
 * measures heap + array buffers once garbage collection and the finalizers it queues have run
 * (the runtime learns of dropped wakers through a FinalizationRegistry). Measured against the
 * same process after a first batch, so what loading and warming up cost is not counted.
 *  - empty: spawn(() => {}), one poll, no fields but the runtime's;
 *  - connection: as mini-redis spawns one, name "connection" and its own `peer`, three polls;
 *  - request: as @periscope/auto opens one, method, path and conn.task.id, then route, status
 *    and duration recorded during the request, two polls.
 */
const CHILD = `
const { spawn, openTask } = await import("@periscope/runtime");
const { builder } = await import("@periscope/console-subscriber");
const { registry } = await import("@periscope/tracing-subscriber");
const kind = process.env.BENCH_KIND;
const total = Number(process.env.BENCH_TASKS);
const c = builder().with({
  serve: false, timer: false, eventLoopMetrics: false,
  retentionMs: Number(process.env.BENCH_RETENTION),
  retainBytes: process.env.BENCH_BUDGET ? Number(process.env.BENCH_BUDGET) : Infinity,
}).spawn();
registry().with(c.layer, c.filter).init();
const turn = () => new Promise((r) => setImmediate(r));
let n = 0;
function one() {
  const i = n++;
  if (kind === "empty") return spawn(() => {});
  if (kind === "connection") {
    const peer = "127.0.0.1:" + (10000 + (i % 50000));
    return spawn(async () => { await turn(); await turn(); await turn(); }, { name: "connection", fields: { peer } });
  }
  const t = openTask({ name: "GET /users/:id", fields: { method: "GET", path: "/users/:id", "conn.task.id": 1000 + i } });
  t.enter();
  return turn().then(() => {
    t.record({ "task.name": "GET /users/:id", route: "/users/:id" });
    t.enter();
    t.record({ status: 200, duration: (0.1 + (i % 90) / 100).toPrecision(2) + "ms" });
    t.finish();
  });
}
async function batch(k) {
  const hs = [];
  for (let i = 0; i < k; i++) hs.push(one());
  await Promise.all(hs);
  c.tick();
}
async function settle() {
  for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); c.tick(); }
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
await batch(5000);
const before = await settle();
for (let done = 0; done < total; done += 5000) await batch(Math.min(5000, total - done));
const after = await settle();
const s = c.stats();
process.stdout.write(JSON.stringify({ grown: after - before, retained: s.tasks, retainedBytes: s.retainedBytes, droppedForBudget: s.droppedForBudget }) + "\\n");
process.exit(0);
`;

interface ChildResult {
  grown: number;
  retained: number;
  retainedBytes: number;
  droppedForBudget: number;
}

function runChild(env: Record<string, string>): Promise<ChildResult> {
  return childResult(["--expose-gc", "--input-type=module", "-e", CHILD], root, env);
}

/**
 * Bytes one retained task costs: the heap grown with 1 h retention less the heap grown with
 * retention 0 (the same work, nothing kept), per task; median of `rounds`, kinds alternating.
 */
async function perTask(
  kinds: readonly string[],
  tasks: number,
  rounds: number,
): Promise<Map<string, number>> {
  const got = new Map<string, number[]>(kinds.map((k) => [k, []]));
  const base = { BENCH_TASKS: String(tasks) };
  for (let r = 0; r < rounds; r++)
    for (const k of kinds) {
      const kept = await runChild({ ...base, BENCH_KIND: k, BENCH_RETENTION: "3600000" });
      const none = await runChild({ ...base, BENCH_KIND: k, BENCH_RETENTION: "0" });
      if (kept.retained < tasks) throw new Error(`${k}: only ${kept.retained} tasks retained`);
      got.get(k)?.push((kept.grown - none.grown) / tasks);
    }
  return new Map([...got].map(([k, v]) => [k, median(v)]));
}

export async function retainedTasks(tasks: number, notes: string[]): Promise<BenchRow[]> {
  const m = await perTask(["empty", "connection", "request"], tasks, 3);
  const empty = m.get("empty") as number;
  const rows: BenchRow[] = [];
  for (const [k, what] of [
    ["connection", "connection-like (name, its own peer, 3 polls)"],
    [
      "request",
      "request-like as @periscope/auto opens one (method, path, conn id, route, status, duration; 2 polls)",
    ],
  ] as const) {
    const ours = m.get(k) as number;
    rows.push({
      what: `memory per retained completed task, all-in: ${what}`,
      peer: "an empty task (one poll, no fields), retained",
      ours,
      theirs: empty,
      unit: "B",
      ratio: ours / empty,
      goal: "ours <= 100 B",
      met: ours <= 100,
    });
  }
  notes.push(
    `Retained task memory: heap + array buffers after GC and finalizers, ${tasks.toLocaleString("en")} tasks in batches of 5,000 with retention 1 h, less the same run with retention 0; median of 3 rounds, each kind in its own child (--expose-gc).`,
  );
  // The budget: more connections than fit in it (~60 B each: about 17 MB), against no budget.
  const budget = 8 * 2 ** 20;
  const many = 300_000;
  const common = {
    BENCH_TASKS: String(many),
    BENCH_KIND: "connection",
    BENCH_RETENTION: "3600000",
  };
  // The heap of a process moves by a megabyte or two between runs whatever it retains (code,
  // feedback, collector state: measured with retention 0, +1.9 MB for 100,000 tasks and -2.9 MB
  // for 600,000), so each run is measured against the same work with retention 0, as the
  // per-task rows are, alternating, median of 3.
  const cappedGrown: number[] = [];
  const freeGrown: number[] = [];
  let capped: ChildResult | undefined;
  let free: ChildResult | undefined;
  for (let r = 0; r < 3; r++) {
    capped = await runChild({ ...common, BENCH_BUDGET: String(budget) });
    const none = await runChild({ ...common, BENCH_RETENTION: "0" });
    free = await runChild(common);
    cappedGrown.push(capped.grown - none.grown);
    freeGrown.push(free.grown - none.grown);
  }
  const c = capped as ChildResult;
  const f = free as ChildResult;
  const ours = median(cappedGrown);
  const theirs = median(freeGrown);
  notes.push(
    `Budget: ${many.toLocaleString("en")} connection-like tasks with PERISCOPE_CONSOLE_RETAIN_BYTES=8MiB kept ${c.retained.toLocaleString("en")} (estimated ${(c.retainedBytes / 2 ** 20).toFixed(2)} MiB), dropped ${c.droppedForBudget.toLocaleString("en")} oldest for the budget; without a budget all ${f.retained.toLocaleString("en")} were kept (estimated ${(f.retainedBytes / 2 ** 20).toFixed(2)} MiB, measured ${(theirs / 2 ** 20).toFixed(2)} MiB). Heap grown less the same run with retention 0, median of 3 alternating rounds: with the budget ${cappedGrown.map((x) => (x / 2 ** 20).toFixed(2)).join(", ")} MiB.`,
  );
  rows.push({
    what: `heap grown by ${many.toLocaleString("en")} retained connections, PERISCOPE_CONSOLE_RETAIN_BYTES=8MiB (less retention 0)`,
    peer: "no budget",
    ours: ours / 2 ** 20,
    theirs: theirs / 2 ** 20,
    unit: "MiB",
    ratio: ours / theirs,
    goal: "ours <= 8 MiB + 10%",
    met: ours <= budget * 1.1 && c.droppedForBudget > 0,
  });
  return rows;
}
