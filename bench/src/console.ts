// The console subscriber's costs: mini-redis under redis-benchmark -c 50 with the console on (and
// a console client watching) vs off, in one run; RSS after 1,000,000 short tasks (retention 10 s);
// and the bookkeeping one poll (enter + exit of a task span) and one waker event cost.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type BenchResult, type BenchRow, median, nsPerOp } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");

/**
 * mini-redis as users run it, `mini-redis-server --port 0` with or without `--console`: its
 * connections are @periscope/runtime tasks, its Db a runtime Mutex, its client limit a Semaphore.
 */
const serverBin = join(root, "apps", "mini-redis", "bin", "mini-redis-server.js");

function miniRedisServer(consoleOn: boolean): ChildProcess {
  return spawn(process.execPath, [serverBin, "--port", "0", ...(consoleOn ? ["--console"] : [])], {
    cwd: root,
    // Only the startup lines (addresses) are logged, as the mini-redis bench logs at warn.
    // Any PERISCOPE_CONSOLE_* variable turns the console on, so the "off" server gets none and
    // an explicit PERISCOPE_CONSOLE=0.
    env: {
      ...process.env,
      PERISCOPE_LOG: "mini_redis::server=info,warn",
      ...(consoleOn
        ? { PERISCOPE_CONSOLE: "1", PERISCOPE_CONSOLE_BIND: "127.0.0.1:0" }
        : { PERISCOPE_CONSOLE: "0" }),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** Reads the server's log until it has said where it listens (and where the console does). */
function serverPorts(
  p: ChildProcess,
  consoleOn: boolean,
): Promise<{ port: number; consolePort: number }> {
  return new Promise((resolve, reject) => {
    let port = 0;
    let consolePort = 0;
    const rl = createInterface({ input: p.stdout as NodeJS.ReadableStream });
    rl.on("line", (l) => {
      const a = /accepting inbound connections.*?:(\d+)/.exec(l);
      const c = /console listening.*?:(\d+)/.exec(l);
      if (a) port = Number(a[1]);
      if (c) consolePort = Number(c[1]);
      if (port !== 0 && (!consoleOn || consolePort !== 0)) {
        // Keep draining stdout so the server never blocks on a full pipe.
        rl.removeAllListeners("line");
        resolve({ port, consolePort });
      }
    });
    p.once("exit", (code) =>
      reject(new Error(`mini-redis-server exited with ${code} before listening`)),
    );
  });
}

/** Spawns 1,000,000 empty tasks in batches and reports the peak RSS. */
const TASKS_CHILD = `
import { spawn } from "@periscope/runtime";
let c;
if (process.env.BENCH_CONSOLE === "1") {
  const { builder } = await import("@periscope/console-subscriber");
  const { registry } = await import("@periscope/tracing-subscriber");
  c = builder().with({ bind: "127.0.0.1:0", retentionMs: 10_000 }).spawn();
  registry().with(c.layer, c.filter).init();
  await c.ready;
}
const total = Number(process.env.BENCH_TASKS);
const batch = 10_000;
let peak = 0;
const t0 = performance.now();
for (let done = 0; done < total; done += batch) {
  const hs = [];
  for (let i = 0; i < batch; i++) hs.push(spawn(() => {}));
  await Promise.all(hs);
  peak = Math.max(peak, process.memoryUsage.rss());
}
const ms = performance.now() - t0;
// Let the aggregator publish and expire a few times, then sample again.
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  peak = Math.max(peak, process.memoryUsage.rss());
}
process.stdout.write(JSON.stringify({ peak, ms, retained: c ? c.stats().tasks : 0 }) + "\\n");
process.exit(0);
`;

function child(code: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--input-type=module", "-e", code], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.stdout as NodeJS.ReadableStream });
    rl.once("line", (l) => {
      rl.close();
      resolve(l);
    });
    p.once("exit", (code) => reject(new Error(`child exited with ${code} before reporting`)));
  });
}

function stop(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill("SIGKILL");
  });
}

/**
 * redis-benchmark -c 50, SET and GET; returns the mean of their requests per second. Run
 * asynchronously so this process keeps reading the console stream meanwhile (a watching client).
 */
function redisBenchmark(port: number, requests: number): Promise<number> {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-c", "50", "-n", String(requests)];
  const p = spawn("redis-benchmark", [...args, "-t", "set,get", "--csv"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  p.stdout.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  p.stderr.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    p.once("error", reject);
    p.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`redis-benchmark failed: ${err}`));
      const rps = out
        .split("\n")
        .filter((l) => l.startsWith('"SET"') || l.startsWith('"GET"'))
        .map((l) => Number(l.split(",")[1]?.replace(/"/g, "")));
      if (rps.length !== 2 || rps.some((x) => !Number.isFinite(x)))
        return reject(new Error(`cannot read redis-benchmark output:\n${out}`));
      resolve(((rps[0] as number) + (rps[1] as number)) / 2);
    });
  });
}

async function miniRedis(rounds: number, requests: number, notes: string[]): Promise<BenchRow> {
  if (spawnSync("sh", ["-c", "command -v redis-benchmark"]).status !== 0)
    throw new Error("redis-benchmark is not installed: apt-get install redis-tools");
  const off = miniRedisServer(false);
  const on = miniRedisServer(true);
  const { createInstrumentClient } = await import("@periscope/console-api");
  let watcher: { close(): void } | undefined;
  try {
    const offPorts = await serverPorts(off, false);
    const onPorts = await serverPorts(on, true);
    // A console is watching, as it would be while someone looks.
    const cl = createInstrumentClient(`127.0.0.1:${onPorts.consolePort}`);
    watcher = cl;
    let updates = 0;
    const st = cl.watchUpdates({});
    st.on("data", () => updates++);
    st.on("error", () => {});
    await redisBenchmark(offPorts.port, 20_000);
    await redisBenchmark(onPorts.port, 20_000);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < rounds; i++) {
      a.push(await redisBenchmark(onPorts.port, requests));
      b.push(await redisBenchmark(offPorts.port, requests));
    }
    const ours = median(a);
    const theirs = median(b);
    notes.push(
      `mini-redis: redis-benchmark -c 50 -n ${requests} -t set,get (mean of SET and GET rps), median of ${rounds} alternating rounds; \`mini-redis-server --console\` vs without it (both run connections as runtime tasks); console on = console layer + server + one watching client (${updates} updates received).`,
    );
    return {
      what: "mini-redis, redis-benchmark -c 50, console on vs off",
      peer: "console off",
      ours,
      theirs,
      unit: "req/s",
      ratio: ours / theirs,
      goal: ">= 0.8x",
      met: ours / theirs >= 0.8,
    };
  } finally {
    watcher?.close();
    await stop(off);
    await stop(on);
  }
}

async function manyTasks(total: number, notes: string[]): Promise<BenchRow> {
  const measure = async (consoleOn: boolean) => {
    const p = child(TASKS_CHILD, {
      BENCH_CONSOLE: consoleOn ? "1" : "0",
      BENCH_TASKS: String(total),
    });
    try {
      return JSON.parse(await firstLine(p)) as { peak: number; ms: number; retained: number };
    } finally {
      await stop(p);
    }
  };
  const on = await measure(true);
  const off = await measure(false);
  const mb = (x: number): number => x / 2 ** 20;
  notes.push(
    `${total.toLocaleString("en")} empty tasks spawned in batches of 10,000 with @periscope/runtime, retention 10 s: console on took ${(on.ms / 1000).toFixed(1)} s (${on.retained} tasks still retained at the end), off ${(off.ms / 1000).toFixed(1)} s; peak RSS ${mb(on.peak).toFixed(0)} MB vs ${mb(off.peak).toFixed(0)} MB.`,
  );
  return {
    what: `${total.toLocaleString("en")} short tasks, peak RSS with the console`,
    peer: "console off",
    ours: mb(on.peak),
    theirs: mb(off.peak),
    unit: "MB",
    ratio: on.peak / off.peak,
    goal: "ours < 200 MB",
    met: mb(on.peak) < 200,
  };
}

async function perPoll(notes: string[]): Promise<BenchRow[]> {
  const { callsite, Level } = await import("@periscope/tracing");
  const { registry } = await import("@periscope/tracing-subscriber");
  const { builder } = await import("@periscope/console-subscriber");
  const SPAWN = callsite({
    kind: "span",
    level: Level.TRACE,
    target: "bench::console",
    name: "runtime.spawn",
    fields: ["kind", "task.name", "task.id"],
  });
  const WAKER = callsite({
    kind: "event",
    level: Level.TRACE,
    target: "runtime::waker",
    name: "waker",
    fields: ["op", "task.id"],
  });
  const c = builder().with({ serve: false, timer: false, eventLoopMetrics: false }).spawn();
  const withConsole = registry().with(c.layer, c.filter);
  const plain = registry();
  const attrs = {
    metadata: SPAWN.metadata,
    fields: { kind: "task", "task.name": "bench", "task.id": 1 },
    parent: undefined,
  };
  const idC = withConsole.newSpan(attrs);
  const idP = plain.newSpan(attrs);
  const n = 2_000_000;
  const poll = (reg: typeof plain, id: bigint) => () => {
    reg.enter(id);
    reg.exit(id);
  };
  const pollOn: number[] = [];
  const pollOff: number[] = [];
  for (let i = 0; i < 5; i++) {
    pollOn.push(nsPerOp(poll(withConsole, idC), n));
    pollOff.push(nsPerOp(poll(plain, idP), n));
    c.tick(); // keep the aggregator's dirty list from growing across rounds
  }
  const ev = (id: bigint) => ({
    metadata: WAKER.metadata,
    message: undefined,
    fields: { op: "waker.wake_by_ref", "task.id": id },
    parent: undefined,
    timestamp: 0,
  });
  const wakeOn: number[] = [];
  const wakeOff: number[] = [];
  const eC = ev(idC);
  const eP = ev(idP);
  for (let i = 0; i < 5; i++) {
    wakeOn.push(nsPerOp(() => withConsole.event(eC), n));
    wakeOff.push(nsPerOp(() => plain.event(eP), n));
  }
  c.close();
  const po = median(pollOn);
  const pf = median(pollOff);
  const wo = median(wakeOn);
  const wf = median(wakeOff);
  notes.push(
    `Per poll: enter + exit of a task span through the Registry, with the console layer vs with no layer; the console's own bookkeeping is the difference, ${(po - pf).toFixed(0)} ns per poll (${(wo - wf).toFixed(0)} ns per waker event).`,
  );
  return [
    {
      what: "one poll (enter + exit of a task span)",
      peer: "registry without the console",
      ours: po,
      theirs: pf,
      unit: "ns",
      ratio: po / pf,
      goal: "reported",
      met: true,
    },
    {
      what: "one waker event",
      peer: "registry without the console",
      ours: wo,
      theirs: wf,
      unit: "ns",
      ratio: wo / wf,
      goal: "reported",
      met: true,
    },
  ];
}

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
    return Number.isFinite(v) && v > 0 ? v : dflt;
  };
  const notes: string[] = [];
  const rows: BenchRow[] = [];
  rows.push(...(await perPoll(notes)));
  rows.push(await manyTasks(arg("--tasks", 1_000_000), notes));
  rows.push(await miniRedis(arg("--rounds", 3), arg("--requests", 100_000), notes));
  return { name: "console", title: "Console subscriber overhead", rows, notes };
}
