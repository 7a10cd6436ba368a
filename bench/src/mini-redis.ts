// mini-redis vs Debian's redis-server, both driven by redis-benchmark in the same run, alternating
// server by server so that both see the same machine noise. SET and GET, -c 50 -n 200000,
// unpipelined and with -P 16. Each server runs in its own process, as it would in production.
// Then the hostile and heavy clients of mini-redis-hostile.ts, each on fresh servers.
import { spawnSync } from "node:child_process";
import type { BenchResult, BenchRow } from "./harness.ts";
import { median } from "./harness.ts";
import { bigRequest, pipelineHog, silentSubscriber } from "./mini-redis-hostile.ts";
import { need, redisVersion, startBenchServer } from "./redis-servers.ts";

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

const MB = 1024 * 1024;

/** Runs redis-benchmark for one mode and returns requests per second. */
function benchmark(port: number, mode: Mode, requests: number): number {
  const r = spawnSync(
    "redis-benchmark",
    ["-h", "127.0.0.1", "-p", String(port), "-c", "50", "-n", String(requests)].concat([
      "-P",
      String(mode.pipeline),
      "-t",
      mode.test,
      "--csv",
    ]),
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  // --csv: a header line, then `"SET","123456.79",...`
  const line = r.stdout.split("\n").find((l) => l.startsWith(`"${mode.test.toUpperCase()}"`));
  const rps = Number(line?.split(",")[1]?.replace(/"/g, ""));
  if (!Number.isFinite(rps)) throw new Error(`cannot read redis-benchmark output:\n${r.stdout}`);
  return rps;
}

export async function run(args: string[]): Promise<BenchResult> {
  need("redis-server");
  need("redis-benchmark");
  const rounds = Number(args[args.indexOf("--rounds") + 1]) || 5;
  const requests = Number(args[args.indexOf("--requests") + 1]) || 200_000;

  const rows: BenchRow[] = [];
  const absolute: string[] = [];
  const ours = await startBenchServer("mini-redis");
  const theirs = await startBenchServer("redis-server").catch(async (e: unknown) => {
    await ours.stop();
    throw e;
  });
  try {
    // Warm up both (JIT for ours), and create the key GET reads.
    for (const port of [ours.port, theirs.port]) {
      benchmark(port, MODES[0]!, 50_000);
      benchmark(port, MODES[2]!, 50_000);
    }
    for (const mode of MODES) {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        a.push(benchmark(ours.port, mode, requests));
        b.push(benchmark(theirs.port, mode, requests));
      }
      const perRound = a.map((x, i) => x / b[i]!);
      const o = median(a);
      const t = median(b);
      // Held across rounds: the worst round's ratio is the one that counts.
      const ratio = mode.everyRound ? Math.min(...perRound) : o / t;
      rows.push({
        what: mode.everyRound ? `${mode.what} (worst of ${rounds} rounds)` : mode.what,
        peer: "redis-server",
        ours: o,
        theirs: t,
        unit: "req/s",
        ratio,
        goal: `>= ${mode.goal.toFixed(1)}x${mode.everyRound ? " every round" : ""}`,
        met: ratio >= mode.goal,
      });
      absolute.push(
        `${mode.what}: ours ${a.map((x) => x.toFixed(0)).join(", ")}; redis-server ${b.map((x) => x.toFixed(0)).join(", ")}; ratios ${perRound.map((r) => r.toFixed(2)).join(", ")}`,
      );
    }
  } finally {
    await ours.stop();
    await theirs.stop();
  }

  const hogOurs = await pipelineHog("mini-redis");
  const hogTheirs = await pipelineHog("redis-server");
  const ping = hogOurs.pingMaxMs / hogTheirs.pingMaxMs;
  rows.push({
    what: "other clients' PING max while one client pipelines 1000 GETs of 1 MiB unread",
    peer: "redis-server",
    ours: hogOurs.pingMaxMs,
    theirs: hogTheirs.pingMaxMs,
    unit: "ms",
    ratio: ping,
    goal: "<= 1.5x",
    met: ping <= 1.5,
  });
  rows.push(
    memoryRow("RSS 5 s after that client disconnects", hogOurs.rssAfter, hogTheirs.rssAfter, 100),
  );
  absolute.push(
    `pipelining client: RSS before ${mib(hogOurs.rssBefore)} / ${mib(hogTheirs.rssBefore)} MiB, peak ${mib(hogOurs.peak)} / ${mib(hogTheirs.peak)} MiB (ours / redis-server)`,
  );
  for (const size of [64 * 1024, 1024]) {
    const subOurs = await silentSubscriber("mini-redis", size);
    const subTheirs = await silentSubscriber("redis-server", size);
    const row = memoryRow(
      `peak RSS, one non-reading subscriber cut at 32 MiB (${size / 1024} KiB messages)`,
      subOurs.peak,
      subTheirs.peak,
      50,
    );
    row.met &&= subOurs.cut;
    rows.push(row);
    absolute.push(
      `${size / 1024} KiB messages: cut after ${subOurs.published} / ${subTheirs.published} messages${subOurs.cut ? "" : " (ours never cut it)"}`,
    );
  }

  const bigOurs = await bigRequest("mini-redis");
  const bigTheirs = await bigRequest("redis-server");
  rows.push(
    memoryRow(
      "RSS 5 s after a 1.5 GB request (DEL of three 500 MB keys)",
      bigOurs.rssAfter,
      bigTheirs.rssAfter,
      100,
    ),
  );
  absolute.push(
    `1.5 GB request: peak RSS ${mib(bigOurs.peak)} / ${mib(bigTheirs.peak)} MiB (ours / redis-server)`,
  );

  return {
    name: "mini-redis",
    title: "mini-redis vs redis-server (redis-benchmark, hostile and heavy clients)",
    rows,
    notes: [
      `redis-benchmark -c 50 -n ${requests} -t set|get [-P 16], ${rounds} alternating rounds per row, median shown; the unpipelined rows' ratio is their worst round.`,
      "Both servers run in their own process on the same machine as redis-benchmark, logging at warn.",
      "mini-redis runs each connection as a @periscope/runtime task (Db Mutex, client-limit Semaphore) with no console attached: the runtime's disabled path.",
      "Hostile clients, each on fresh servers: three clients PING in a loop while a fourth writes 1000 GETs of a 1 MiB value at once and never reads, for 4 s; it then disconnects and RSS is read 5 s later. A subscriber that never reads gets messages (16 PUBLISH per write) until the server cuts it; peak RSS is the process's VmHWM. One client sends a 1.5 GB DEL; RSS is read 5 s after the reply.",
      `Peer: ${redisVersion()}, no persistence, default limits (client-output-buffer-limit pubsub 32mb).`,
      ...absolute,
    ],
  };
}

function mib(bytes: number): string {
  return (bytes / MB).toFixed(0);
}

/** A memory row in MiB whose goal is "at most 2x the peer's plus `slack` MiB". */
function memoryRow(what: string, ours: number, theirs: number, slack: number): BenchRow {
  return {
    what,
    peer: "redis-server",
    ours: ours / MB,
    theirs: theirs / MB,
    unit: "MiB",
    ratio: ours / theirs,
    goal: `<= 2x + ${slack} MiB`,
    met: ours <= 2 * theirs + slack * MB,
  };
}
