// The console subscriber's costs: mini-redis under redis-benchmark -c 50 with the console on (and
// a console client watching) vs off, in one run; RSS after 1,000,000 short tasks (retention 10 s);
// and the bookkeeping one poll (enter + exit of a task span) and one waker event cost.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { manyTasks } from "./console-memory.ts";
import { idleCpu } from "./console-render.ts";
import { retainedTasks } from "./console-retained.ts";
import { spawnCost } from "./console-spawn.ts";
import { type BenchResult, type BenchRow, median, nsPerOp, stopChild } from "./harness.ts";

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
      goal: ">= 0.9x",
      met: ours / theirs >= 0.9,
    };
  } finally {
    watcher?.close();
    await stopChild(off);
    await stopChild(on);
  }
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
  // A poll as the runtime makes one: the boundary where one poll ends and the next starts
  // reads the clock once, and the exit and the enter share that instant. The peer gets the
  // same calls without the read (no subscriber times anything there).
  const perf = performance;
  const poll = (reg: typeof plain, id: bigint) => {
    reg.enter(id);
    return reg === plain
      ? () => {
          reg.exit(id);
          reg.enter(id);
        }
      : () => {
          const at = perf.now();
          reg.exit(id, at);
          reg.enter(id, at);
        };
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
      what: "one poll (enter + exit of a task span, one clock read per boundary)",
      peer: "registry without the console",
      ours: po,
      theirs: pf,
      unit: "ns",
      ratio: po / pf,
      goal: "bookkeeping (ours - peer's) <= 80 ns",
      met: po - pf <= 80,
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

/**
 * `periscope console` in tmux watching 10,000 tasks of which 100 change every second: the CPU of
 * its process from /proc over 20 s, median of `rounds` (each its own console process).
 */
async function tuiCpu(rounds: number, notes: string[]): Promise<BenchRow[]> {
  const got: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const x = await idleCpu(100, 20);
    if (typeof x === "string") {
      notes.push(`Console TUI CPU not measured: ${x}.`);
      return [];
    }
    got.push(x);
  }
  const ours = median(got);
  notes.push(
    `Console TUI: \`periscope console\` in a 200x50 tmux pane watching a server with 10,000 tasks, 100 changing a second; CPU of its process from /proc over 20 s after a 3 s warm-up, median of ${rounds} (${got.map((x) => x.toFixed(2)).join(", ")} %).`,
  );
  return [
    {
      what: "console TUI CPU, 10,000 tasks, 100 changing a second",
      peer: "the 1% goal (no peer measures this)",
      ours,
      theirs: 1,
      unit: "% of a core",
      ratio: ours,
      goal: "<= 1%",
      met: ours <= 1,
    },
  ];
}

/** The parts, in the order they run; `--only a,b` runs some of them (for working on one). */
const PARTS = ["poll", "spawn", "memory", "retained", "redis", "tui"] as const;

export async function run(args: string[]): Promise<BenchResult> {
  const arg = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
    return Number.isFinite(v) && v > 0 ? v : dflt;
  };
  const o = args.indexOf("--only");
  const only = o >= 0 ? (args[o + 1] ?? "").split(",") : [...PARTS];
  const unknown = only.filter((x) => !(PARTS as readonly string[]).includes(x));
  if (unknown.length > 0)
    throw new Error(`unknown part(s) ${unknown.join(", ")}: choose from ${PARTS.join(", ")}`);
  const on = (part: (typeof PARTS)[number]) => only.includes(part);
  const notes: string[] = [
    `Load average at the start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(", ")}.`,
  ];
  const rows: BenchRow[] = [];
  if (on("poll")) rows.push(...(await perPoll(notes)));
  if (on("spawn"))
    rows.push(...(await spawnCost(arg("--spawn-tasks", 200_000), arg("--rounds", 5), notes)));
  if (on("memory")) rows.push(...(await manyTasks(arg("--tasks", 1_000_000), notes)));
  if (on("retained")) rows.push(...(await retainedTasks(arg("--retained-tasks", 50_000), notes)));
  if (on("redis"))
    rows.push(await miniRedis(arg("--rounds", 5), arg("--requests", 100_000), notes));
  if (on("tui")) rows.push(...(await tuiCpu(arg("--tui-rounds", 3), notes)));
  notes.push(
    `Load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(", ")}.`,
  );
  return { name: "console", title: "Console subscriber overhead", rows, notes };
}
