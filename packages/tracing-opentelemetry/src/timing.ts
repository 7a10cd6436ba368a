// Times for the SDK: our clock's epoch milliseconds as OpenTelemetry HrTime, and the busy/idle
// bookkeeping tracing-opentelemetry reports as `busy_ns` and `idle_ns`.
import type { HrTime } from "@opentelemetry/api";

/**
 * Epoch milliseconds (fractional) as [seconds, nanoseconds]. The SDK would take a number too,
 * but it reads numbers smaller than `performance.now()` as performance-relative; an HrTime is
 * taken as it is. Monotonic in `ms`, so the order of readings survives the conversion.
 */
export function toHrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  // Rounded, and kept within the second: ms arrive as binary floats.
  const n = Math.min(999_999_999, Math.max(0, Math.round((ms - s * 1000) * 1e6)));
  return [s, n];
}

/** How long a span was entered (busy) and not (idle), in milliseconds of the layer's clock. */
export class Timings {
  busy = 0;
  idle = 0;
  last: number;
  entered = 0;
  constructor(now: number) {
    this.last = now;
  }
  enter(now: number): void {
    if (this.entered++ > 0) return;
    this.idle += now - this.last;
    this.last = now;
  }
  exit(now: number): void {
    if (this.entered === 0 || --this.entered > 0) return;
    this.busy += now - this.last;
    this.last = now;
  }
  /** Closes the books at `now`: time since the last exit counts as idle, as upstream. */
  close(now: number): { busyNs: number; idleNs: number } {
    if (this.entered === 0) this.idle += now - this.last;
    else this.busy += now - this.last;
    this.last = now;
    return { busyNs: Math.round(this.busy * 1e6), idleNs: Math.round(this.idle * 1e6) };
  }
}
