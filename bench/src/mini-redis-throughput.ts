// mini-redis vs redis-server under redis-benchmark: SET and GET, unpipelined and with -P 16.
// Both peers get the same treatment: the same client settings, rounds that alternate which
// server goes first, and (when taskset exists) the server on one CPU and redis-benchmark on the
// other. Besides requests per second, each run reads the server's CPU time from /proc, which
// varies less than throughput on a shared machine: it is what one request costs the server.
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import type { BenchRow } from "./harness.ts";
import { median } from "./harness.ts";
import { type BenchServer, pinning, procCpuSeconds, startBenchServer } from "./redis-servers.ts";

interface Mode {
  what: string;
  test: "set" | "get";
  pipeline: number;
  goal: number;
  /** The goal must hold in every round, not only for the median. */
  everyRound: boolean;
}

const MODES: Mode[] = [
  { what: "SET, unpipelined", test: "set", pipeline: 1, goal: 1.0, everyRound: true },
  { what: "GET, unpipelined", test: "get", pipeline: 1, goal: 1.0, everyRound: true },
  { what: "SET, -P 16", test: "set", pipeline: 16, goal: 0.5, everyRound: false },
  { what: "GET, -P 16", test: "get", pipeline: 16, goal: 0.5, everyRound: false },
];

/** Pipelined runs are this many times longer, so that they last as long as unpipelined ones. */
const PIPELINED_SCALE = 5;

interface Run {
  rps: number;
  /** Server CPU time (user + system) per request, microseconds. */
  cpuUs: number;
}

/** Runs redis-benchmark once against `server` and measures what the server spent on it. */
function benchmark(server: BenchServer, mode: Mode, requests: number, cpu?: number): Run {
  const args = ["-h", "127.0.0.1", "-p", String(server.port), "-c", "50", "-n", String(requests)];
  args.push("-P", String(mode.pipeline), "-t", mode.test, "--csv");
  const argv =
    cpu === undefined
      ? ["redis-benchmark", ...args]
      : ["taskset", "-c", String(cpu), "redis-benchmark", ...args];
  const pid = server.child.pid!;
  const before = procCpuSeconds(pid);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  const spent = procCpuSeconds(pid) - before;
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  // --csv: a header line, then `"SET","123456.79",...`
  const line = r.stdout.split("\n").find((l) => l.startsWith(`"${mode.test.toUpperCase()}"`));
  const rps = Number(line?.split(",")[1]?.replace(/"/g, ""));
  if (!Number.isFinite(rps)) throw new Error(`cannot read redis-benchmark output:\n${r.stdout}`);
  return { rps, cpuUs: (spent * 1e6) / requests };
}

/** Two runs of the same length as one: requests over total time, CPU over total requests. */
function combine(x: Run, y: Run): Run {
  return { rps: 2 / (1 / x.rps + 1 / y.rps), cpuUs: (x.cpuUs + y.cpuUs) / 2 };
}

export interface ThroughputResult {
  rows: BenchRow[];
  notes: string[];
}

export async function throughput(rounds: number, requests: number): Promise<ThroughputResult> {
  const cpus = pinning();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const loadBefore = loadavg();
  // mini-redis at its default log level (info), as users run it; redis-server at its own.
  const ours = await startBenchServer("mini-redis", { cpu: cpus?.server, log: "info" });
  const theirs = await startBenchServer("redis-server", { cpu: cpus?.server }).catch(
    async (e: unknown) => {
      await ours.stop();
      throw e;
    },
  );
  try {
    // Warm up both (the JIT, for ours), and create the key GET reads.
    for (const server of [ours, theirs]) {
      benchmark(server, MODES[0]!, 50_000, cpus?.client);
      benchmark(server, MODES[2]!, 100_000, cpus?.client);
    }
    for (const mode of MODES) {
      const n = mode.pipeline > 1 ? requests * PIPELINED_SCALE : requests;
      const a: Run[] = [];
      const b: Run[] = [];
      for (let i = 0; i < rounds; i++) {
        // A round is four runs of half the requests, A B B A (the first server alternating
        // between rounds): a change in what else the machine is doing during the round then
        // weighs on both peers alike, where one run each would leave it to whoever ran then.
        const [first, second] = i % 2 === 0 ? [ours, theirs] : [theirs, ours];
        const half = Math.ceil(n / 2);
        const f1 = benchmark(first, mode, half, cpus?.client);
        const s1 = benchmark(second, mode, half, cpus?.client);
        const s2 = benchmark(second, mode, half, cpus?.client);
        const f2 = benchmark(first, mode, half, cpus?.client);
        const [o1, o2, t1, t2] = first === ours ? [f1, f2, s1, s2] : [s1, s2, f1, f2];
        a.push(combine(o1, o2));
        b.push(combine(t1, t2));
      }
      rows.push(...modeRows(mode, a, b));
      const ratios = a.map((x, i) => (x.rps / b[i]!.rps).toFixed(2));
      notes.push(
        `${mode.what}: req/s ours ${a.map((x) => x.rps.toFixed(0)).join(", ")}; redis-server ${b.map((x) => x.rps.toFixed(0)).join(", ")}; ratios ${ratios.join(", ")}; server CPU µs/request ours ${a.map((x) => x.cpuUs.toFixed(2)).join(", ")}; redis-server ${b.map((x) => x.cpuUs.toFixed(2)).join(", ")}`,
      );
    }
  } finally {
    await ours.stop();
    await theirs.stop();
  }
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  notes.unshift(
    `redis-benchmark -c 50 -t set|get, the same for both servers; ${rounds} rounds per row of ${requests} requests per server (${requests * PIPELINED_SCALE} with -P 16), each round as four runs of half of them, A B B A, the first server alternating between rounds; a round's req/s is its requests over its two runs' time.`,
    cpus === undefined
      ? "Not pinned (no taskset, or one CPU): servers and redis-benchmark share every CPU."
      : `Each server pinned to CPU ${cpus.server} and redis-benchmark to CPU ${cpus.client} (taskset), both peers alike; other processes on the machine are not excluded.`,
    `Load average (1, 5, 15 min) before ${load(loadBefore)}, after ${load(loadavg())}.`,
  );
  return { rows, notes };
}

/**
 * The rows of one mode. Unpipelined: the worst round against the goal (it must hold in every
 * round), the median round beside it, and the server's CPU per request. Pipelined: the median
 * round.
 */
function modeRows(mode: Mode, a: Run[], b: Run[]): BenchRow[] {
  const goal = `>= ${mode.goal.toFixed(1)}x`;
  // Rounds by their ratio, worst first. The median row is the median round (both peers' figures
  // from the same round), not each peer's median taken from different rounds.
  const order = a.map((_, i) => i).sort((i, j) => a[i]!.rps / b[i]!.rps - a[j]!.rps / b[j]!.rps);
  const row = (what: string, i: number, goalText: string, goalValue: number): BenchRow => {
    const ratio = a[i]!.rps / b[i]!.rps;
    return {
      what,
      peer: "redis-server",
      ours: a[i]!.rps,
      theirs: b[i]!.rps,
      unit: "req/s",
      ratio,
      goal: goalText,
      met: ratio >= goalValue,
    };
  };
  const mid = order[Math.floor(order.length / 2)]!;
  const medianWhat = `${mode.what}, median of ${a.length} rounds`;
  if (!mode.everyRound) return [row(medianWhat, mid, goal, mode.goal)];
  const ourCpu = median(a.map((x) => x.cpuUs));
  const theirCpu = median(b.map((x) => x.cpuUs));
  return [
    row(`${mode.what}, worst of ${a.length} rounds`, order[0]!, `${goal} every round`, mode.goal),
    row(medianWhat, mid, "reported", 0),
    {
      what: `${mode.what}: server CPU per request (user + system), median of ${a.length} rounds`,
      peer: "redis-server",
      ours: ourCpu,
      theirs: theirCpu,
      unit: "µs",
      ratio: ourCpu / theirCpu,
      goal: "reported",
      met: true,
    },
  ];
}
