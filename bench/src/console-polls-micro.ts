// Not a bench row: a hand-run probe of the poll hooks on the connection-task pattern, without
// sockets. Per "request" an immediate created outside tasks (as a socket's callback) resolves the
// promise one of 50 tasks awaits; the task counts it and waits again. Prints CPU µs per request.
//   node bench/src/console-polls-micro.ts MODE [ROUNDS] [N]   MODE: off | auto | sync | async-hooks
//   env: ROOT=0 (no root task), LAYER=null (a no-op layer instead of the console's),
//        PERISCOPE_RUNTIME_ROOT_POLLS=slice, CG=1 (toggle callgrind around the measured rounds:
//        run under `valgrind --tool=callgrind --instr-atstart=no`, node flag --single-threaded
//        for repeatable counts).
import { builder } from "@periscope/console-subscriber";
import { configureRuntime, spawn } from "@periscope/runtime";
import { setGlobalDefault } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";

const [mode = "auto", roundsS = "5", nS = "200000"] = process.argv.slice(2);
const ROUNDS = Number(roundsS),
  N = Number(nS),
  C = 50;
let c: ReturnType<ReturnType<typeof builder>["spawn"]> | undefined;
if (mode !== "off") {
  if (process.env.LAYER === "null")
    setGlobalDefault(registry().with({ onEnter() {}, onExit() {}, onEvent() {} }));
  else {
    c = builder().with({ serve: false, eventLoopMetrics: false }).spawn();
    setGlobalDefault(registry().with(c.layer, c.filter));
  }
  configureRuntime({ polls: mode as "sync", root: process.env.ROOT !== "0" });
}
class Q {
  waiter: ((v: number) => void) | undefined;
  items: number[] = [];
  put(v: number) {
    const w = this.waiter;
    if (w === undefined) {
      this.items.push(v);
      return;
    }
    this.waiter = undefined;
    w(v);
  }
  wait() {
    return new Promise<number>((r) => {
      this.waiter = r;
    });
  }
}
const qs = Array.from({ length: C }, () => new Q());
let done = 0,
  sink = 0,
  left = 0;
let finish: () => void = () => {};
for (const q of qs)
  spawn(
    async () => {
      for (;;) {
        const v = q.items.length > 0 ? (q.items.shift() as number) : await q.wait();
        sink += v;
        done++;
        if (--left === 0) finish();
      }
    },
    { name: "conn" },
  );
function round(n: number): Promise<void> {
  return new Promise((res) => {
    left = n;
    finish = res;
    let sent = 0;
    const pump = () => {
      for (let i = 0; i < C && sent < n; i++, sent++) {
        const q = qs[i] as Q;
        setImmediate(() => q.put(1));
      }
      if (sent < n) setImmediate(pump);
    };
    pump();
  });
}
await round(20000);
await round(20000);
const { spawnSync } = await import("node:child_process");
if (process.env.CG) spawnSync("callgrind_control", ["-i", "on", String(process.pid)]);
const out: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.cpuUsage();
  await round(N);
  const d = process.cpuUsage(t0);
  out.push((d.user + d.system) / N);
}
if (process.env.CG) {
  spawnSync("callgrind_control", ["-d", String(process.pid)]);
  spawnSync("callgrind_control", ["-i", "off", String(process.pid)]);
}
out.sort((a, b) => a - b);
console.log(
  `${mode}${process.env.ROOT === "0" ? " root=0" : ""}${process.env.EXP17 ? ` EXP17=${process.env.EXP17}` : ""}: µs/req median ${out[Math.floor(out.length / 2)]?.toFixed(3)} [${out.map((x) => x.toFixed(2)).join(" ")}]`,
);
c?.close();
process.exit(0);
