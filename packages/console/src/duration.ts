// Durations as tokio-console shows them: the largest fitting unit, a fixed precision, and a
// unit class so the view can colour nanoseconds, milliseconds and hours differently.

export type DurationUnit = "ns" | "us" | "ms" | "s" | "m" | "h" | "d";

export interface FormattedDuration {
  text: string;
  unit: DurationUnit;
}

const US = 1e3;
const MS = 1e6;
const S = 1e9;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Formats `ns` nanoseconds; `precision` digits after the point for sub-minute values. */
export function formatDuration(ns: number, precision: number, ascii = false): FormattedDuration {
  if (!Number.isFinite(ns) || ns < 0) ns = 0;
  // Pick the unit after rounding, so 999.7ms at precision 0 reads "1s", not "1000ms".
  const fits = (scale: number) => Number((ns / scale).toFixed(precision)) < 1000;
  if (Math.round(ns) < US) return { text: `${Math.round(ns)}ns`, unit: "ns" };
  if (ns < MS && fits(US)) {
    return { text: `${(ns / US).toFixed(precision)}${ascii ? "us" : "µs"}`, unit: "us" };
  }
  if (ns < S && fits(MS)) return { text: `${(ns / MS).toFixed(precision)}ms`, unit: "ms" };
  if (ns < MIN && Number((ns / S).toFixed(precision)) < 60) {
    return { text: `${(ns / S).toFixed(precision)}s`, unit: "s" };
  }
  if (ns < HOUR) {
    const secs = Math.round(ns / S);
    return { text: `${Math.floor(secs / 60)}m${pad2(secs % 60)}s`, unit: "m" };
  }
  if (ns < DAY) {
    const h = Math.floor(ns / HOUR);
    return { text: `${h}h${pad2(Math.floor((ns - h * HOUR) / MIN))}m`, unit: "h" };
  }
  const d = Math.floor(ns / DAY);
  if (d >= 100) return { text: `${d}d`, unit: "d" };
  return { text: `${d}d${pad2(Math.floor((ns - d * DAY) / HOUR))}h`, unit: "d" };
}

/** Parses "30s", "500ms", "2m", "1h" (the --retain-for argument) into nanoseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|min|h|d)?\s*$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const scale: Record<string, number> = {
    ns: 1,
    us: US,
    µs: US,
    ms: MS,
    s: S,
    m: MIN,
    min: MIN,
    h: HOUR,
    d: DAY,
  };
  return n * (scale[unit] ?? S);
}
