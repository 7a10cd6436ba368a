// The two servers the mini-redis benches compare: ours and Debian's redis-server, each started
// in its own process on a free port, and what /proc says about their memory.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
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

/** Starts mini-redis (logging at warn) or redis-server (no persistence) and waits for it. */
export async function startBenchServer(name: BenchServer["name"]): Promise<BenchServer> {
  const port = await freePort();
  const child =
    name === "mini-redis"
      ? spawn(process.execPath, [serverBin, "--port", String(port)], {
          stdio: "ignore",
          env: { ...process.env, PERISCOPE_LOG: "warn" },
        })
      : spawn(
          "redis-server",
          ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
          { stdio: "ignore" },
        );
  await waitForPort(port);
  return { name, port, child, stop: () => stopChild(child) };
}

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
