import { join } from "node:path";
import { type BenchRow, childResult, median } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");

/**
 * The child: the console as an application turns it on (serving, its aggregator on its timer),
 * then batches of 1,000 empty tasks spawned and awaited; a warm-up first, so V8 has optimized
 * the path, then the timed tasks. Prints nanoseconds per task.
 */
const SPAWN_CHILD = `
const { spawn } = await import("@periscope/runtime");
if (process.env.BENCH_CONSOLE === "1") {
  const { builder } = await import("@periscope/console-subscriber");
  const { registry } = await import("@periscope/tracing-subscriber");
  const c = builder().with({ bind: "127.0.0.1:0" }).spawn();
  registry().with(c.layer, c.filter).init();
  await c.ready;
}
async function batch(n) {
  const hs = [];
  for (let i = 0; i < n; i++) hs.push(spawn(() => {}));
  await Promise.all(hs);
}
const total = Number(process.env.BENCH_TASKS);
for (let done = 0; done < total / 2; done += 1000) await batch(1000);
const t0 = process.hrtime.bigint();
for (let done = 0; done < total; done += 1000) await batch(1000);
const ns = Number(process.hrtime.bigint() - t0) / total;
process.stdout.write(JSON.stringify({ ns }) + "\\n");
process.exit(0);
`;

async function runChild(env: Record<string, string>): Promise<number> {
  return (await childResult<{ ns: number }>(["--input-type=module", "-e", SPAWN_CHILD], root, env))
    .ns;
}

export async function spawnCost(
  tasks: number,
  rounds: number,
  notes: string[],
): Promise<BenchRow[]> {
  const modes = {
    on: { BENCH_CONSOLE: "1", PERISCOPE_RUNTIME_LOCATIONS: "1" },
    noLoc: { BENCH_CONSOLE: "1", PERISCOPE_RUNTIME_LOCATIONS: "0" },
    off: { BENCH_CONSOLE: "0" },
  };
  const got: Record<keyof typeof modes, number[]> = { on: [], noLoc: [], off: [] };
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(modes) as (keyof typeof modes)[]) {
      got[k].push(await runChild({ ...modes[k], BENCH_TASKS: String(tasks) }));
    }
  }
  const on = median(got.on);
  const noLoc = median(got.noLoc);
  const off = median(got.off);
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
  notes.push(
    `Spawn: ${tasks.toLocaleString("en")} empty tasks spawned and awaited in batches of 1,000 after a warm-up of half as many, one process per run, ${rounds} alternating rounds (medians; ns per task, min-max): console on with locations ${on.toFixed(0)} (${spread(got.on)}), console on without locations ${noLoc.toFixed(0)} (${spread(got.noLoc)}), console off ${off.toFixed(0)} (${spread(got.off)}).`,
  );
  return [
    {
      what: "spawn + complete of an empty task, console on, locations on",
      peer: "console off",
      ours: on,
      theirs: off,
      unit: "ns",
      ratio: on / off,
      goal: "<= 3x",
      met: on / off <= 3,
    },
    {
      what: "spawn + complete of an empty task, console on, locations off",
      peer: "console off",
      ours: noLoc,
      theirs: off,
      unit: "ns",
      ratio: noLoc / off,
      goal: "reported",
      met: true,
    },
  ];
}
