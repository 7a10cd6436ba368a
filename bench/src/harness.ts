// Shared shape of a benchmark result and small timing helpers used by every bench module.
// A bench compares us with a peer in the same run; the ratio is what docs/benchmarks.md reports.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface BenchRow {
  /** What is measured, e.g. "disabled event". */
  what: string;
  /** The peer's name, e.g. "pino". */
  peer: string;
  /** Our figure and the peer's, in `unit`. */
  ours: number;
  theirs: number;
  unit: string;
  /** ours / theirs, or theirs / ours: whichever the goal is stated in. */
  ratio: number;
  /** The goal in words, e.g. "<= 1.0x its cost". */
  goal: string;
  /** Whether the ratio meets the goal. */
  met: boolean;
}

export interface BenchResult {
  name: string;
  title: string;
  rows: BenchRow[];
  /** Extra lines: conditions, absolute figures, caveats. */
  notes: string[];
}

/** Kills a child process (SIGKILL) and resolves once it has exited. */
export function stopChild(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once("exit", () => resolve());
    p.kill("SIGKILL");
  });
}

/**
 * Runs `node ARGS` in `cwd` with `env` added, reads the first line it prints as JSON, then kills
 * it: how the benches that need a fresh process per measurement get their figure back.
 */
export function childResult<T>(
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<T> {
  const p: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: p.stdout as NodeJS.ReadableStream });
    rl.once("line", (l) => {
      rl.close();
      resolve(l);
    });
    p.once("exit", (code) => reject(new Error(`child exited with ${code} before reporting`)));
  });
  return line.finally(() => stopChild(p)).then((l) => JSON.parse(l) as T);
}

export type BenchModule = { run: (args: string[]) => Promise<BenchResult> };

/** Runs fn `iterations` times and returns nanoseconds per call (after a warm-up). */
export function nsPerOp(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Alternates two measurements `rounds` times and returns the median of each, to share noise. */
export function alternate(a: () => number, b: () => number, rounds = 5): [number, number] {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(a());
    bs.push(b());
  }
  return [median(as), median(bs)];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}
