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
/** One task awaiting N times with nothing in between: its jobs coalesce into one poll. */
async function alone(n: number): Promise<number> {
  let s = 0;
  for (let i = 0; i < n; i++) s += await leaf();
  return s;
}
/** Two of these run interleaved: every await hands over to the other task, so each is a poll. */
async function turns(n: number): Promise<number> {
  let s = 0;
  for (let i = 0; i < n; i++) s += await 1;
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

/** One measurement in this process: a mode, "nosub" or "baseline"; prints one JSON line. */
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
  const base = what === "baseline";
  const runAlone = base ? () => alone(N) : () => spawn(() => alone(N));
  const runTurns = base
    ? () => Promise.all([turns(N / 2), turns(N / 2)])
    : () => Promise.all([spawn(() => turns(N / 2)), spawn(() => turns(N / 2))]);
  await runAlone();
  await runTurns();
  const tAlone = await best(runAlone);
  counts.enter = 0;
  counts.event = 0;
  const tTurns = await best(runTurns);
  const polls = counts.enter / 5;
  const events = counts.event / 5;
  const spawnNs =
    (await best(async () => {
      for (let i = 0; i < SPAWNS; i++) await spawn(async () => i);
    }, 3)) / SPAWNS;
  let locNs = 0;
  if (base) {
    const f = (): unknown => callerLocation(f);
    locNs =
      (await best(async () => {
        for (let i = 0; i < SPAWNS; i++) f();
      }, 3)) / SPAWNS;
  }
  console.log(
    JSON.stringify({ what, alone: tAlone / N, turns: tTurns / N, polls, events, spawnNs, locNs }),
  );
}

function run(self: string, arg: string, env: NodeJS.ProcessEnv = process.env) {
  return JSON.parse(execFileSync(process.execPath, [self, arg], { encoding: "utf8", env }));
}

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const hookModes = [...(supportsTrackPromises() ? ["promise-hooks"] : []), "async-hooks"];
  const modes = ["baseline", "nosub", ...hookModes, "sync"];
  const results = modes.map((m) => run(self, m));
  const noLoc = run(self, hookModes[0] as string, {
    ...process.env,
    PERISCOPE_RUNTIME_LOCATIONS: "0",
  });
  const b = results[0];
  console.log(`node ${process.version}; best of 5; a layer that only counts is the subscriber`);
  console.log(
    "| mode | one task, ns per await (overhead) | two tasks taking turns, ns per poll (overhead) | polls seen (turns) | waker events per poll | spawn + await |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const r of results) {
    const label =
      r.what === "baseline"
        ? "plain awaits, no runtime"
        : r.what === "nosub"
          ? "spawn, no subscriber"
          : r.what;
    const over = (x: number, y: number) =>
      r.what === "baseline" ? `${x.toFixed(1)}` : `${x.toFixed(1)} (+${(x - y).toFixed(1)})`;
    const many = r.polls > N / 10;
    const perPoll = many
      ? `${(((r.turns - b.turns) * N) / r.polls).toFixed(0)} over baseline`
      : over(r.turns, b.turns);
    console.log(
      `| ${label} | ${over(r.alone, b.alone)} | ${perPoll} | ${r.polls || "-"} | ${many ? (r.events / r.polls).toFixed(2) : "-"} | ${r.what === "baseline" ? "-" : `${(r.spawnNs / 1000).toFixed(1)} µs`} |`,
    );
  }
  console.log(`\ncaller location capture (loc.file/line/col): ${b.locNs.toFixed(0)} ns per call`);
  console.log(
    `spawn + await, ${hookModes[0]}, PERISCOPE_RUNTIME_LOCATIONS=0: ${(noLoc.spawnNs / 1000).toFixed(1)} µs`,
  );
}

const arg = process.argv[2];
if (arg === undefined) await main();
else await child(arg);
