// `npm run bench -- auto`: what `node --import @periscope/auto` costs a service. A node:http
// hello-world and the Express 5 app of issue #13, plain vs with the console on and one client
// watching, loaded by autocannon in alternating rounds; throughput and p99 as ratios, and the
// memory the console keeps per 10,000 completed requests (their retained tasks).
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createInstrumentClient, type Update } from "@periscope/console-api";
import autocannon from "autocannon";
import { type BenchResult, type BenchRow, median, stopChild } from "./harness.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
// Two cores shared: a few connections keep the app's one thread busy without starving it.
const CONNECTIONS = 10;

interface Target {
  name: string;
  file: string;
  path: string;
}
const TARGETS: Target[] = [
  { name: "node:http hello-world", file: "auto-http.mjs", path: "/" },
  { name: "Express 5 app (timer, fs, fetch, lock)", file: "auto-express.cjs", path: "/users/42" },
];

interface Running {
  proc: ChildProcess;
  port: number;
  watcher: { close(): void; updates: () => number } | undefined;
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => s.once("listening", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function start(t: Target, auto: boolean): Promise<Running> {
  const consolePort = auto ? await freePort() : 0;
  const proc = spawn(
    process.execPath,
    [...(auto ? ["--import", "@periscope/auto"] : []), `${FIXTURES}${t.file}`],
    {
      env: { ...process.env, PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once("exit", (c) => reject(new Error(`${t.file} exited with ${c}`)));
  });
  return { proc, port, watcher: auto ? await watch(`127.0.0.1:${consolePort}`) : undefined };
}

/** One console client consuming every update, as `periscope console` would. */
async function watch(address: string): Promise<Running["watcher"]> {
  const client = createInstrumentClient(address);
  let updates = 0;
  let stream: { cancel(): void } | undefined;
  let closed = false;
  const connect = (): void => {
    if (closed) return;
    const s = client.watchUpdates({});
    s.on("data", (_u: Update) => {
      updates++;
    });
    s.on("error", () => setTimeout(connect, 100));
    stream = s;
  };
  connect();
  const end = Date.now() + 10_000;
  while (updates === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return {
    updates: () => updates,
    close() {
      closed = true;
      stream?.cancel();
      client.close();
    },
  };
}

interface Load {
  rps: number;
  p99: number;
  total: number;
}

async function load(port: number, path: string, seconds: number): Promise<Load> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    duration: seconds,
  });
  return { rps: r.requests.average, p99: r.latency.p99, total: r.requests.total };
}

/** The process's CPU time so far (user + system, from /proc/PID/stat), in microseconds. */
function cpuUs(pid: number): number {
  const f = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
  // Fields 14 and 15 (utime, stime) in clock ticks, 100 a second on Linux.
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** A load on one server, with the server's CPU time per completed request. */
async function measured(
  r: Running,
  path: string,
  seconds: number,
): Promise<Load & { cpu: number }> {
  const pid = r.proc.pid as number;
  const c0 = cpuUs(pid);
  const l = await load(r.port, path, seconds);
  return { ...l, cpu: (cpuUs(pid) - c0) / Math.max(1, l.total) };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

export async function run(args: string[]): Promise<BenchResult> {
  const rounds = Number(args[0] ?? 5);
  const seconds = Number(args[1] ?? 4);
  const rows: BenchRow[] = [];
  const notes: string[] = [
    `${rounds} alternating rounds of ${seconds} s per side and app, autocannon with ${CONNECTIONS} connections on loopback; medians.`,
    "ours: `node --import @periscope/auto` (console on, one gRPC client watching; its defaults: 1 h retention, at most 20,000 completed tasks kept); peer: the same app with no flag.",
    "p99 in whole milliseconds as autocannon reports it; the ratio counts 0 ms as 1 ms.",
    "CPU per request: the server's user + system time over each round (/proc/PID/stat) divided by the requests it completed; on a shared machine it is the steadier figure, and the throughput ratio follows it once the server is the bottleneck.",
  ];
  const load0 = loadavg()[0] as number;
  for (const t of TARGETS) {
    const plain = await start(t, false);
    const auto = await start(t, true);
    try {
      // Warm-up: JIT, connection pools, the console's first publishes.
      await load(plain.port, t.path, 1);
      await load(auto.port, t.path, 1);
      const rss0 = [rssKb(plain.proc.pid as number), rssKb(auto.proc.pid as number)];
      let totals = [0, 0];
      const ps: (Load & { cpu: number })[] = [];
      const as: (Load & { cpu: number })[] = [];
      for (let i = 0; i < rounds; i++) {
        const p = await measured(plain, t.path, seconds);
        const a = await measured(auto, t.path, seconds);
        ps.push(p);
        as.push(a);
        totals = [(totals[0] as number) + p.total, (totals[1] as number) + a.total];
      }
      // Let the console publish what the last round left.
      await new Promise((r) => setTimeout(r, 1500));
      const rss1 = [rssKb(plain.proc.pid as number), rssKb(auto.proc.pid as number)];
      const rps = [median(ps.map((x) => x.rps)), median(as.map((x) => x.rps))] as const;
      const p99 = [median(ps.map((x) => x.p99)), median(as.map((x) => x.p99))] as const;
      rows.push({
        what: `${t.name}: throughput`,
        peer: "same app, no flag",
        ours: rps[1],
        theirs: rps[0],
        unit: "req/s",
        ratio: rps[1] / rps[0],
        goal: ">= 0.85x",
        met: rps[1] / rps[0] >= 0.85,
      });
      rows.push({
        what: `${t.name}: p99 latency`,
        peer: "same app, no flag",
        ours: p99[1],
        theirs: p99[0],
        unit: "ms",
        // autocannon reports whole milliseconds: a 0 ms p99 counts as 1 ms.
        ratio: Math.max(p99[1], 1) / Math.max(p99[0], 1),
        goal: "<= 1.2x",
        met: Math.max(p99[1], 1) / Math.max(p99[0], 1) <= 1.2,
      });
      const cpu = [median(ps.map((x) => x.cpu)), median(as.map((x) => x.cpu))] as const;
      notes.push(
        `${t.name}: server CPU per request ${cpu[1].toFixed(1)} µs with @periscope/auto, ${cpu[0].toFixed(1)} µs plain (${(cpu[1] / cpu[0]).toFixed(2)}x; medians of the rounds).`,
      );
      const per10k = (i: number): number =>
        ((((rss1[i] as number) - (rss0[i] as number)) / 1024) * 10_000) / (totals[i] as number);
      notes.push(
        `${t.name}: RSS grew ${per10k(1).toFixed(2)} MB per 10,000 completed requests with @periscope/auto (${totals[1]} requests, ${((rss0[1] as number) / 1024).toFixed(0)} -> ${((rss1[1] as number) / 1024).toFixed(0)} MB), ${per10k(0).toFixed(2)} MB plain (${totals[0]} requests, ${((rss0[0] as number) / 1024).toFixed(0)} -> ${((rss1[0] as number) / 1024).toFixed(0)} MB); the watcher saw ${auto.watcher?.updates()} updates.`,
      );
    } finally {
      auto.watcher?.close();
      await stopChild(plain.proc);
      await stopChild(auto.proc);
    }
  }
  notes.push(
    `Load average (1 min) ${load0.toFixed(1)} at the start, ${(loadavg()[0] as number).toFixed(1)} at the end, on ${availableParallelism()} cores shared with other work.`,
  );
  return {
    name: "auto",
    title: "Zero-code instrumentation (node --import @periscope/auto)",
    rows,
    notes,
  };
}
