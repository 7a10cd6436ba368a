// Times as tracing-subscriber prints them: RFC 3339 timestamps with microseconds
// ("2026-01-02T03:04:05.123456Z"; the date part is cached per second, as formatting it
// dominates otherwise) and span durations (`2.00ms`).

let lastSecond = Number.NaN;
let lastPrefix = "";

/** Formats milliseconds since the epoch (fractional allowed) as UTC with six decimals. */
export function rfc3339Micros(ms: number): string {
  if (!Number.isFinite(ms)) return "invalid-time";
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const d = new Date(second * 1000);
    if (Number.isNaN(d.getTime())) return "invalid-time";
    lastPrefix = d.toISOString().slice(0, 19);
    lastSecond = second;
  }
  // Rounded: ms arrive as binary floats, so 289.898 ms may be 289.89799…
  let micros = Math.round((ms - second * 1000) * 1000);
  if (micros > 999_999) micros = 999_999;
  if (micros < 0) micros = 0;
  return `${lastPrefix}.${micros >= 100_000 ? micros : String(micros).padStart(6, "0")}Z`;
}

/**
 * A duration in ns as tracing-subscriber's `TimingDisplay` prints one: the first unit under
 * 1000, with two decimals under 10, one under 100, none above (`2.00ms`, `12.3µs`, `456ns`).
 */
export function formatDuration(ns: number): string {
  let t = ns;
  for (const unit of ["ns", "µs", "ms", "s"]) {
    if (t < 10) return `${t.toFixed(2)}${unit}`;
    if (t < 100) return `${t.toFixed(1)}${unit}`;
    if (t < 1000) return `${t.toFixed(0)}${unit}`;
    t /= 1000;
  }
  return `${(t * 1000).toFixed(0)}s`;
}
