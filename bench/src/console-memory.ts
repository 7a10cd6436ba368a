import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchRow, childResult } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");

/**
 * The child: an application as Node recommends one to start (module.enableCompileCache(), so the
 * TypeScript it imports is stripped once and not on every start), spawning tasks in batches of
 * 10,000 and sampling its RSS after each batch and while the aggregator publishes and expires.
 */
const TASKS_CHILD = `
import module from "node:module";
if (process.env.BENCH_COMPILE_CACHE) module.enableCompileCache(process.env.BENCH_COMPILE_CACHE);
const { spawn } = await import("@periscope/runtime");
let c;
if (process.env.BENCH_CONSOLE === "1") {
  const { builder } = await import("@periscope/console-subscriber");
  const { registry } = await import("@periscope/tracing-subscriber");
  c = builder().with({ bind: "127.0.0.1:0", retentionMs: 10_000 }).spawn();
  registry().with(c.layer, c.filter).init();
  await c.ready;
}
// Written now: the bench kills this process once it has reported.
module.flushCompileCache?.();
const total = Number(process.env.BENCH_TASKS);
const batch = 10_000;
let peak = process.memoryUsage.rss();
let retained = 0;
let rowBytes = 0;
const t0 = performance.now();
for (let done = 0; done < total; done += batch) {
  const hs = [];
  for (let i = 0; i < batch; i++) hs.push(spawn(() => {}));
  await Promise.all(hs);
  const rss = process.memoryUsage.rss();
  if (rss > peak && c) ({ tasks: retained, retainedTaskBytes: rowBytes } = c.stats());
  peak = Math.max(peak, rss);
}
const ms = performance.now() - t0;
// Let the aggregator publish and expire a few times, then sample again.
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  peak = Math.max(peak, process.memoryUsage.rss());
}
process.stdout.write(JSON.stringify({ peak, ms, retained, rowBytes }) + "\\n");
process.exit(0);
`;

interface ChildResult {
  peak: number;
  ms: number;
  /** Completed tasks the console held when the RSS peaked, and the bytes of their rows. */
  retained: number;
  rowBytes: number;
}

/**
 * Node sizes its heap from the memory it may use. In a container limited to 1 GiB it picks a
 * 512 MB old space and 16 MB semi-spaces (heap_size_limit 560 MB, the same as these flags give;
 * checked with a cgroup memory limit). Without flags it sizes the heap for the whole machine:
 * 64 MB semi-spaces on a 24 GiB one.
 */
const SIZINGS = [
  {
    name: "heap as Node sizes it in a 1 GiB container",
    flags: ["--max-old-space-size=512", "--max-semi-space-size=16"],
  },
  { name: "heap as Node sizes it on this machine", flags: [] },
] as const;

function runChild(flags: readonly string[], env: Record<string, string>): Promise<ChildResult> {
  return childResult([...flags, "--input-type=module", "-e", TASKS_CHILD], root, env);
}

const mb = (x: number): number => x / 2 ** 20;

export async function manyTasks(total: number, notes: string[]): Promise<BenchRow[]> {
  const cache = mkdtempSync(join(tmpdir(), "periscope-bench-cache-"));
  try {
    const base = { BENCH_TASKS: String(total), BENCH_COMPILE_CACHE: cache };
    const rows: BenchRow[] = [];
    for (const [i, sizing] of SIZINGS.entries()) {
      // Fills the compile cache with every module both children import (V8 flags key its entries).
      await runChild(sizing.flags, { ...base, BENCH_CONSOLE: "1", BENCH_TASKS: "0" });
      const on = await runChild(sizing.flags, { ...base, BENCH_CONSOLE: "1" });
      const off = await runChild(sizing.flags, { ...base, BENCH_CONSOLE: "0" });
      notes.push(
        `${total.toLocaleString("en")} empty tasks in batches of 10,000, retention 10 s, ${sizing.name} (${sizing.flags.join(" ") || "no flags"}): console on ${mb(on.peak).toFixed(0)} MB in ${(on.ms / 1000).toFixed(1)} s, holding ${on.retained.toLocaleString("en")} completed tasks at its peak in ${(on.rowBytes / Math.max(1, on.retained)).toFixed(1)} bytes each; console off ${mb(off.peak).toFixed(0)} MB in ${(off.ms / 1000).toFixed(1)} s.`,
      );
      if (i === 0) {
        // What the TypeScript loader (type stripping) costs a process that starts without the cache.
        const cold = await runChild(sizing.flags, {
          ...base,
          BENCH_CONSOLE: "1",
          BENCH_COMPILE_CACHE: "",
        });
        notes.push(
          `The same console-on run without the compile cache (Node strips the TypeScript at start): ${mb(cold.peak).toFixed(0)} MB.`,
        );
      }
      rows.push({
        what: `${total.toLocaleString("en")} short tasks, peak RSS with the console, ${sizing.name}`,
        peer: "console off",
        ours: mb(on.peak),
        theirs: mb(off.peak),
        unit: "MB",
        ratio: on.peak / off.peak,
        goal: i === 0 ? "ours < 200 MB" : "reported",
        met: i === 0 ? mb(on.peak) < 200 : true,
      });
    }
    return rows;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
