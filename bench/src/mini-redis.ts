// mini-redis vs Debian's redis-server, both driven by redis-benchmark in the same run, alternating
// server by server so that both see the same machine noise. SET and GET, -c 50 -n 200000,
// unpipelined and with -P 16. Each server runs in its own process, as it would in production.
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import { type BenchResult, type BenchRow, median, stopChild } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");
const serverBin = join(root, "apps", "mini-redis", "bin", "mini-redis-server.js");

interface Mode {
  what: string;
  test: "set" | "get";
  pipeline: number;
  goal: number;
}

const MODES: Mode[] = [
  { what: "SET, unpipelined", test: "set", pipeline: 1, goal: 1.0 },
  { what: "GET, unpipelined", test: "get", pipeline: 1, goal: 1.0 },
  { what: "SET, -P 16", test: "set", pipeline: 16, goal: 0.5 },
  { what: "GET, -P 16", test: "get", pipeline: 16, goal: 0.5 },
];

function need(tool: string): void {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
    throw new Error(`${tool} is not installed: apt-get install redis-server redis-tools`);
  }
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: "127.0.0.1" });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on port ${port}`);
}

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
  const rounds = Number(args[args.indexOf("--rounds") + 1]) || 3;
  const requests = Number(args[args.indexOf("--requests") + 1]) || 200_000;

  const oursPort = await freePort();
  const theirsPort = await freePort();
  const ours = spawn(process.execPath, [serverBin, "--port", String(oursPort)], {
    stdio: "ignore",
    env: { ...process.env, PERISCOPE_LOG: "warn" },
  });
  const theirs = spawn(
    "redis-server",
    ["--port", String(theirsPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  try {
    await waitForPort(oursPort);
    await waitForPort(theirsPort);
    // Warm up both (JIT for ours), and create the key GET reads.
    for (const port of [oursPort, theirsPort]) {
      benchmark(port, MODES[0]!, 50_000);
      benchmark(port, MODES[2]!, 50_000);
    }
    const rows: BenchRow[] = [];
    const absolute: string[] = [];
    for (const mode of MODES) {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        a.push(benchmark(oursPort, mode, requests));
        b.push(benchmark(theirsPort, mode, requests));
      }
      const o = median(a);
      const t = median(b);
      const ratio = o / t;
      rows.push({
        what: mode.what,
        peer: "redis-server",
        ours: o,
        theirs: t,
        unit: "req/s",
        ratio,
        goal: `>= ${mode.goal.toFixed(1)}x`,
        met: ratio >= mode.goal,
      });
      absolute.push(
        `${mode.what}: ours ${a.map((x) => x.toFixed(0)).join(", ")}; redis-server ${b.map((x) => x.toFixed(0)).join(", ")}`,
      );
    }
    const version = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.trim();
    return {
      name: "mini-redis",
      title: "mini-redis vs redis-server (redis-benchmark)",
      rows,
      notes: [
        `redis-benchmark -c 50 -n ${requests} -t set|get [-P 16], ${rounds} alternating rounds per row, median shown.`,
        "Both servers run in their own process on the same machine as redis-benchmark, logging at warn.",
        "mini-redis runs each connection as a @periscope/runtime task (Db Mutex, client-limit Semaphore) with no console attached: the runtime's disabled path.",
        `Peer: ${version.split(" ").slice(0, 3).join(" ")}, no persistence.`,
        ...absolute,
      ],
    };
  } finally {
    await stopChild(ours);
    await stopChild(theirs);
  }
}
