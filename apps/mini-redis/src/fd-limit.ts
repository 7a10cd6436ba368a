// How many file descriptors this process may open, so that the client limit can be kept within
// it as Redis keeps `maxclients` within `ulimit -n` (a server that runs out of descriptors can
// no longer accept anyone, not even an administrator).
import { readFileSync } from "node:fs";

/** Descriptors kept for everything but clients (logs, the console, OTLP): Redis keeps 32. */
export const RESERVED_FDS = 32;

/**
 * The soft limit on open files (Node raises it to the hard limit when it starts), or undefined
 * where it cannot be read (not Linux) or is unlimited.
 */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const m = /^Max open files\s+(\d+)/m.exec(limits);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
