// Caller locations for spans (tokio's #[track_caller] analogue): one one-frame stack capture per
// call, read as V8 call sites, with file names converted once and cached.
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { invalidArgument } from "./errors.ts";

export interface Location {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** PERISCOPE_RUNTIME_LOCATIONS=0 turns capture off (each capture walks the stack: a few µs). */
export const locationsEnabled = process.env.PERISCOPE_RUNTIME_LOCATIONS !== "0";

const UNKNOWN: Location = Object.freeze({ file: "<unknown>", line: 0, col: 0 });
const CACHE_MAX = 4096;
const cwd = process.cwd() + sep;

/** A function or class the user called; frames from it upward are hidden. */
export type Caller = ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown);

type RawSite = {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
};
const RAW = (_e: Error, sites: RawSite[]): RawSite[] => sites;
const files = new Map<string, string>();

/**
 * Where the call to `fn` was made. `fn` is the public function the user called (spawn, sleep,
 * a constructor): V8 hides it and everything above it, so the first frame left is the caller.
 * V8's structured call sites are read directly (no string formatting or parsing); file names
 * are converted once and cached.
 */
export function callerLocation(fn: Caller): Location {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  let site: RawSite | undefined;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = RAW as typeof Error.prepareStackTrace;
    Error.captureStackTrace(holder, fn as (...args: never[]) => unknown);
    const sites = holder.stack;
    site = Array.isArray(sites) ? (sites[0] as RawSite | undefined) : undefined;
  } catch {
    return UNKNOWN;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  if (site === undefined) return UNKNOWN;
  const name = site.getFileName();
  if (typeof name !== "string") return UNKNOWN;
  let file = files.get(name);
  if (file === undefined) {
    file = displayPath(name);
    if (files.size >= CACHE_MAX) files.clear();
    files.set(name, file);
  }
  return { file, line: site.getLineNumber() ?? 0, col: site.getColumnNumber() ?? 0 };
}

/**
 * The first frame outside Node's internals and this package, within `depth` frames: where user
 * code created something deep inside Node (a socket, a timer), for `watchNodeHandles`.
 */
export function userLocation(depth = 24): Location {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  let sites: RawSite[] = [];
  try {
    Error.stackTraceLimit = depth;
    Error.prepareStackTrace = RAW as typeof Error.prepareStackTrace;
    Error.captureStackTrace(holder, userLocation);
    if (Array.isArray(holder.stack)) sites = holder.stack as RawSite[];
  } catch {
    return UNKNOWN;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  for (const site of sites) {
    const name = site.getFileName();
    if (typeof name !== "string" || name.startsWith("node:") || name.startsWith(OWN_DIR)) continue;
    return {
      file: displayPath(name),
      line: site.getLineNumber() ?? 0,
      col: site.getColumnNumber() ?? 0,
    };
  }
  return UNKNOWN;
}

/** This package's source directory, as a file URL prefix (frames from it are never the user's). */
const OWN_DIR = new URL(".", import.meta.url).href;

/** A file path or file URL as spans show it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
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

/**
 * The call sites of one module, as @periscope/auto's load-time transform records them: `url` is
 * the module's import.meta.url, `lineCols` its sites' lines and 1-based columns, in pairs. Made
 * once per module, so a transformed spawn() reads a ready Location instead of capturing a stack.
 */
export function siteTable(url: string, lineCols: readonly number[]): readonly Location[] {
  if (typeof url !== "string" || !Array.isArray(lineCols) || lineCols.length % 2 !== 0)
    throw invalidArgument("siteTable() needs a module URL and an even list of lines and columns");
  const file = displayPath(url);
  const sites: Location[] = [];
  for (let i = 0; i < lineCols.length; i += 2)
    sites.push(
      Object.freeze({ file, line: lineCols[i] as number, col: lineCols[i + 1] as number }),
    );
  return Object.freeze(sites);
}
