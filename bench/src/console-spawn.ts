import { join } from "node:path";
import { type BenchRow, childResult, median } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");

/** The child (see its header): one process per measurement. */
const CHILD = join(import.meta.dirname, "fixtures", "console-spawn-child.mjs");

interface ChildOut {
  ns: number;
  cpuNs: number;
  rewritten: boolean;
}

function runChild(env: Record<string, string>, args: string[]): Promise<ChildOut> {
  return childResult<ChildOut>([...args, CHILD], root, env);
}

export async function spawnCost(
  tasks: number,
  rounds: number,
  notes: string[],
): Promise<BenchRow[]> {
  const hook = ["--import", "@periscope/auto/spawn-sites"];
  const modes = {
    sites: { env: { BENCH_CONSOLE: "1", PERISCOPE_RUNTIME_LOCATIONS: "1" }, args: hook },
    captured: { env: { BENCH_CONSOLE: "1", PERISCOPE_RUNTIME_LOCATIONS: "1" }, args: [] },
    noLoc: { env: { BENCH_CONSOLE: "1", PERISCOPE_RUNTIME_LOCATIONS: "0" }, args: [] },
    off: { env: { BENCH_CONSOLE: "0" }, args: [] },
  };
  type Mode = keyof typeof modes;
  const cpu: Record<Mode, number[]> = { sites: [], captured: [], noLoc: [], off: [] };
  const wall: Record<Mode, number[]> = { sites: [], captured: [], noLoc: [], off: [] };
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(modes) as Mode[]) {
      const { env, args } = modes[k];
      const out = await runChild({ ...env, BENCH_TASKS: String(tasks) }, args);
      // The hooked child must really have been rewritten, or its row would measure the capture.
      if (out.rewritten !== (k === "sites"))
        throw new Error(
          k === "sites"
            ? "spawn bench: the spawn-site hook did not rewrite the child (no module.registerHooks in this Node?)"
            : `spawn bench: the ${k} child was rewritten without the hook`,
        );
      cpu[k].push(out.cpuNs);
      wall[k].push(out.ns);
    }
  }
  const m = (k: Mode) => median(cpu[k]);
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
  const say = (k: Mode) =>
    `${m(k).toFixed(0)} (${spread(cpu[k])}; wall ${median(wall[k]).toFixed(0)})`;
  notes.push(
    `Spawn: ${tasks.toLocaleString("en")} empty tasks spawned and awaited in batches of 1,000 after a warm-up of half as many, one process per run, ${rounds} alternating rounds; CPU ns per task of the whole process (process.cpuUsage: the aggregator's timer work included), medians (min-max; wall-clock median): console on with locations from the module hook ${say("sites")}, with captured locations ${say("captured")}, without locations ${say("noLoc")}, console off ${say("off")}.`,
  );
  const row = (what: string, k: Mode, goal: boolean): BenchRow => ({
    what,
    peer: "console off",
    ours: m(k),
    theirs: m("off"),
    unit: "ns CPU",
    ratio: m(k) / m("off"),
    goal: goal ? "<= 3x" : "reported",
    met: goal ? m(k) / m("off") <= 3 : true,
  });
  return [
    row(
      "spawn + complete of an empty task, console on, locations on (module hook, as @periscope/auto)",
      "sites",
      true,
    ),
    row(
      "spawn + complete of an empty task, console on, locations captured (no hook)",
      "captured",
      false,
    ),
    row("spawn + complete of an empty task, console on, locations off", "noLoc", false),
  ];
}
