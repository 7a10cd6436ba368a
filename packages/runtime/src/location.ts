// Caller locations for spans (tokio's #[track_caller] analogue): one short stack capture per call,
// parsed once per distinct frame string and cached, so a hot spawn site costs a capture and a lookup.
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface Location {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** PERISCOPE_RUNTIME_LOCATIONS=0 turns capture off (each capture walks the stack: a few µs). */
export const locationsEnabled = process.env.PERISCOPE_RUNTIME_LOCATIONS !== "0";

const UNKNOWN: Location = Object.freeze({ file: "<unknown>", line: 0, col: 0 });
const cache = new Map<string, Location>();
const CACHE_MAX = 4096;
const cwd = process.cwd() + sep;

/** A function or class the user called; frames from it upward are hidden. */
export type Caller = ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown);

interface Holder {
  stack?: string;
}

/**
 * Where the call to `fn` was made. `fn` is the public function the user called (spawn, sleep,
 * a constructor): V8 hides it and everything above it, so the first frame left is the caller.
 */
export function callerLocation(fn: Caller): Location {
  const holder: Holder = {};
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(holder, fn as (...args: never[]) => unknown);
  } catch {
    return UNKNOWN;
  } finally {
    Error.stackTraceLimit = limit;
  }
  const stack = holder.stack;
  if (typeof stack !== "string") return UNKNOWN;
  const nl = stack.indexOf("\n");
  if (nl < 0) return UNKNOWN;
  const frame = stack.slice(nl + 1);
  const hit = cache.get(frame);
  if (hit !== undefined) return hit;
  const loc = parseFrame(frame);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(frame, loc);
  return loc;
}

/** Parses "    at name (file:line:col)" or "    at file:line:col". */
export function parseFrame(frame: string): Location {
  let text = frame.trim();
  if (text.startsWith("at ")) text = text.slice(3);
  if (text.endsWith(")")) {
    const open = text.lastIndexOf("(");
    if (open >= 0) text = text.slice(open + 1, -1);
  }
  const c2 = text.lastIndexOf(":");
  const c1 = c2 > 0 ? text.lastIndexOf(":", c2 - 1) : -1;
  if (c1 < 0) return UNKNOWN;
  const line = Number(text.slice(c1 + 1, c2));
  const col = Number(text.slice(c2 + 1));
  if (!Number.isInteger(line) || !Number.isInteger(col)) return UNKNOWN;
  return Object.freeze({ file: displayPath(text.slice(0, c1)), line, col });
}

function displayPath(file: string): string {
  let path = file;
  if (path.startsWith("file://")) {
    try {
      path = fileURLToPath(path);
    } catch {
      return file;
    }
  }
  return path.startsWith(cwd) ? relative(cwd, path) : path;
}
