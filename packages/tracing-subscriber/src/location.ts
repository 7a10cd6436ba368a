// Where a Logger event was emitted, for the pretty format's `at file:line`: Logger callsites
// are made once per level and know no location, so it is read from the stack, in pretty only.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** Frames from these directories are ours (the tracing API and this package), not the caller's. */
const OURS: string[] = [dirname(fileURLToPath(import.meta.url))];
try {
  OURS.push(dirname(fileURLToPath(import.meta.resolve("@periscope/tracing"))));
} catch {
  // Resolution can fail in odd bundles; only our own frames are skipped then.
}

const FRAME = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):\d+\)?$/;

/** The first stack frame outside Periscope and Node's internals, relative to the cwd. */
export function callerLocation(): { file: string; line: number } | undefined {
  const limit = Error.stackTraceLimit;
  let stack: string | undefined;
  try {
    // The dispatch path is about ten frames deep; room for it and the caller.
    Error.stackTraceLimit = 40;
    stack = new Error().stack;
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (stack === undefined) return undefined;
  for (const raw of stack.split("\n").slice(1)) {
    const m = FRAME.exec(raw.trim());
    if (m === null) continue;
    let file = m[1] as string;
    if (file.startsWith("file://")) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    if (OURS.some((d) => file.startsWith(d))) continue;
    const cwd = process.cwd();
    const shown = file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
    return { file: shown, line: Number(m[2]) };
  }
  return undefined;
}
