// RFC 3339 timestamps with microseconds ("2026-01-02T03:04:05.123456Z"), as tracing-subscriber
// prints them. The date part is cached per second because formatting it dominates otherwise.

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
