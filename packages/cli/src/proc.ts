// What the attach command needs to know about another process before signalling it: whether it
// exists and is ours, whether it is Node, its flags, and (on Linux) the TCP ports it listens on.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { basename } from "node:path";

export type Signalable = "ok" | "missing" | "not-permitted";

/** Signal 0: tests existence and permission without delivering anything. */
export function canSignal(pid: number): Signalable {
  try {
    process.kill(pid, 0);
    return "ok";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? "not-permitted" : "missing";
  }
}

export interface ProcessInfo {
  /** The executable's file name (node, nodejs, ...), when known. */
  exe: string | undefined;
  /** Its argv, when readable. */
  argv: string[] | undefined;
  /** NODE_OPTIONS from its environment, when readable. */
  nodeOptions: string | undefined;
}

function readNul(path: string): string[] | undefined {
  try {
    return readFileSync(path, "latin1")
      .split("\0")
      .filter((s) => s !== "");
  } catch {
    return undefined;
  }
}

export function processInfo(pid: number): ProcessInfo {
  let exe: string | undefined;
  try {
    exe = basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    // Not Linux (or not readable): ask ps, which every Unix has.
    try {
      exe = basename(
        execFileSync("ps", ["-o", "comm=", "-p", String(pid)], { encoding: "utf8" }).trim(),
      );
    } catch {
      exe = undefined;
    }
  }
  const argv = readNul(`/proc/${pid}/cmdline`);
  const env = readNul(`/proc/${pid}/environ`);
  const nodeOptions = env?.find((e) => e.startsWith("NODE_OPTIONS="))?.slice(13);
  return { exe: exe === "" ? undefined : exe, argv, nodeOptions };
}

/** Node's own binary names: node, nodejs, node24, node-v24.1.0 ... */
export function looksLikeNode(info: ProcessInfo): boolean {
  const names = [info.exe, info.argv?.[0] === undefined ? undefined : basename(info.argv[0])];
  return names.some((n) => n !== undefined && /^node(js)?([-\d.v]*)?(\.exe)?$/i.test(n));
}

/** Whether SIGUSR1 was turned off for it (a flag on its command line or in NODE_OPTIONS). */
export function sigusr1Disabled(info: ProcessInfo): boolean {
  const flags = [...(info.argv ?? []), ...(info.nodeOptions ?? "").split(/\s+/)];
  return flags.includes("--disable-sigusr1");
}

/**
 * The loopback TCP ports `pid` listens on, from /proc (Linux); undefined elsewhere. Comparing
 * them before and after SIGUSR1 finds the inspector's port whatever --inspect-port says.
 */
export function listeningPorts(pid: number): Set<number> | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is cols[1] ("0100007F:2405"), st is cols[3] (0A = LISTEN), inode cols[9].
      if (cols.length < 10 || cols[3] !== "0A" || !inodes.has(cols[9] as string)) continue;
      const port = Number.parseInt((cols[1] as string).split(":").pop() as string, 16);
      if (Number.isFinite(port)) ports.add(port);
    }
  }
  return ports;
}
