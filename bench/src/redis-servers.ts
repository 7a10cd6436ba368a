// The two servers the mini-redis benches compare: ours and Debian's redis-server, each started
// in its own process on a free port, and what /proc says about their memory.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { stopChild } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");
const serverBin = join(root, "apps", "mini-redis", "bin", "mini-redis-server.js");

export interface BenchServer {
  name: "mini-redis" | "redis-server";
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function need(tool: string): void {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
    throw new Error(`${tool} is not installed: apt-get install redis-server redis-tools`);
  }
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function waitForPort(port: number): Promise<void> {
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

export interface StartOptions {
  /** Pin the server, every thread of it, to this CPU (`taskset -c`); see `pinning()`. */
  cpu?: number;
  /** mini-redis's PERISCOPE_LOG; default "warn" (the hostile scenarios log a warning each). */
  log?: string;
}

/**
 * Starts mini-redis or redis-server (no persistence) and waits for it. Pinned or not, both
 * peers are started the same way.
 */
export async function startBenchServer(
  name: BenchServer["name"],
  options: StartOptions = {},
): Promise<BenchServer> {
  const port = await freePort();
  const [cmd, args] =
    name === "mini-redis"
      ? [process.execPath, [serverBin, "--port", String(port)]]
      : [
          "redis-server",
          ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        ];
  const pinned = options.cpu === undefined ? [] : ["taskset", "-c", String(options.cpu)];
  const argv = [...pinned, cmd, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: "ignore",
    env: { ...process.env, PERISCOPE_LOG: options.log ?? "warn" },
  });
  await waitForPort(port);
  return { name, port, child, stop: () => stopChild(child) };
}

/**
 * CPUs for the server and for the load generator, each its own, when `taskset` exists and the
 * machine has two or more: both peers then get one CPU each the same way, instead of fighting
 * their client for whichever CPU the scheduler picks. Undefined otherwise.
 */
export function pinning(): { server: number; client: number } | undefined {
  if (availableParallelism() < 2) return undefined;
  if (spawnSync("sh", ["-c", "command -v taskset"]).status !== 0) return undefined;
  // The first two CPUs this process may run on (a container may be given others than 0 and 1).
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  const cpus = (list ?? "0-1").split(",").flatMap((r) => {
    const [lo, hi] = r.split("-").map(Number) as [number, number | undefined];
    return Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => lo + i);
  });
  if (cpus.length < 2) return undefined;
  return { server: cpus[0]!, client: cpus[1]! };
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/PID/stat. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: utime and
  // stime are fields 14 and 15 of the line, 12 and 13 after ") ".
  const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/** A field of /proc/PID/status in bytes: VmRSS (resident now) or VmHWM (peak resident). */
export function procMemory(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export function redisVersion(): string {
  const out = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.trim();
  return out.split(" ").slice(0, 3).join(" ");
}
