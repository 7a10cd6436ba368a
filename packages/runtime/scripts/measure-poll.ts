// Measures what the runtime's bookkeeping costs, each mode in a fresh process (hooks change V8's
// promise fast paths for the life of a process): `npx node packages/runtime/scripts/measure-poll.ts`.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  callerLocation,
  configureRuntime,
  type PollMode,
  spawn,
  supportsTrackPromises,
} from "@periscope/runtime";
import { type Layer, registry } from "@periscope/tracing-subscriber";

const N = 200_000;
const SPAWNS = 20_000;

async function leaf(): Promise<number> {
  return 1;
}
async function workload(n: number): Promise<number> {
  let s = 0;
  for (let i = 0; i < n; i++) s += await leaf();
  return s;
}
async function best(fn: () => PromiseLike<unknown>, runs = 5): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t0));
  }
  return min;
}

/** One measurement in this process: "<mode>" or "baseline"; prints one JSON line. */
async function child(what: string): Promise<void> {
  const counts = { enter: 0, event: 0 };
  if (what !== "baseline" && what !== "nosub") {
    const counting: Layer = {
      onNewSpan: () => {},
      onEnter: () => void counts.enter++,
      onExit: () => {},
      onEvent: () => void counts.event++,
      onClose: () => {},
    };
    registry().with(counting).init();
    configureRuntime({ polls: what as PollMode });
  }
  const run = what === "baseline" ? () => workload(N) : () => spawn(() => workload(N));
  await run();
  counts.enter = 0;
  counts.event = 0;
  const t = await best(run);
  const polls = counts.enter / 5;
  const events = counts.event / 5;
  const spawnNs =
    (await best(async () => {
      for (let i = 0; i < SPAWNS; i++) await spawn(async () => i);
    }, 3)) / SPAWNS;
  let locNs = 0;
  if (what === "baseline") {
    const f = (): unknown => callerLocation(f);
    locNs =
      (await best(async () => {
        for (let i = 0; i < SPAWNS; i++) f();
      }, 3)) / SPAWNS;
  }
  console.log(JSON.stringify({ what, perAwait: t / N, polls, events, spawnNs, locNs }));
}

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const modes = [
    "baseline",
    "nosub",
    ...(supportsTrackPromises() ? ["promise-hooks"] : []),
    "async-hooks",
    "sync",
  ];
  const results = modes.map((m) =>
    JSON.parse(execFileSync(process.execPath, [self, m], { encoding: "utf8" })),
  );
  const noLoc = JSON.parse(
    execFileSync(process.execPath, [self, modes[2] as string], {
      encoding: "utf8",
      env: { ...process.env, PERISCOPE_RUNTIME_LOCATIONS: "0" },
    }),
  );
  const base = results[0].perAwait as number;
  console.log(
    `node ${process.version}; ${N} awaits in one task, best of 5; a counting layer as subscriber`,
  );
  console.log(
    "| mode | ns per await | polls seen | ns per poll over baseline | waker events per poll | spawn+await ns |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const r of results) {
    const perPoll = r.polls > 0 ? (((r.perAwait - base) * N) / r.polls).toFixed(0) : "-";
    const label =
      r.what === "baseline"
        ? "plain awaits, no runtime"
        : r.what === "nosub"
          ? "spawn, no subscriber"
          : r.what;
    console.log(
      `| ${label} | ${r.perAwait.toFixed(1)} | ${r.polls || "-"} | ${perPoll} | ${r.polls ? (r.events / r.polls).toFixed(2) : "-"} | ${r.what === "baseline" ? "-" : r.spawnNs.toFixed(0)} |`,
    );
  }
  console.log(
    `\ncaller location capture (loc.file/line/col): ${results[0].locNs.toFixed(0)} ns per call`,
  );
  console.log(
    `spawn+await with ${modes[2]} and PERISCOPE_RUNTIME_LOCATIONS=0: ${noLoc.spawnNs.toFixed(0)} ns`,
  );
}

const arg = process.argv[2];
if (arg === undefined) await main();
else await child(arg);
