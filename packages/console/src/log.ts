// The console's own diagnostics (--log LEVEL, --log-dir DIR), as tokio-console's: a new file per
// run in the log directory, never the terminal the console draws on.
import { appendFileSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const LOG_LEVELS = ["off", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export interface Log {
  readonly path: string | undefined;
  write(level: Exclude<LogLevel, "off">, message: string): void;
}

export const NO_LOG: Log = { path: undefined, write() {} };

/** Opens `DIR/<time>.log`; throws with a sentence when the directory cannot be used. */
export function openLog(level: LogLevel, dir: string, now = new Date()): Log {
  if (level === "off") return NO_LOG;
  mkdirSync(dir, { recursive: true });
  if (!statSync(dir).isDirectory()) throw new Error(`log directory ${dir} is not a directory`);
  // No ":" in the name: it is not allowed in file names everywhere.
  const stamp = now
    .toISOString()
    .replace(/[:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const path = join(dir, `${stamp}-${process.pid}.log`);
  appendFileSync(path, "", { flag: "wx" });
  const max = LOG_LEVELS.indexOf(level);
  return {
    path,
    write(l, message) {
      if (LOG_LEVELS.indexOf(l) > max) return;
      try {
        appendFileSync(
          path,
          `${new Date().toISOString()} ${l.toUpperCase().padStart(5)} ${message}\n`,
        );
      } catch {
        // A full disk must not take the console down with it.
      }
    },
  };
}
