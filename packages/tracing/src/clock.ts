// The one clock behind every timestamp: the monotonic performance clock, anchored once to wall
// time (performance.timeOrigin, read when the process started), in epoch milliseconds.

// Read once: the `performance` global is a lazy getter, and this runs for every event and span.
const perf = performance;
const origin = perf.timeOrigin;

/** A clock in milliseconds since the epoch, fractional; injectable where time matters to logic. */
export type Clock = () => number;

/**
 * Now, in epoch milliseconds with sub-millisecond precision. Monotonic: a stepped wall clock
 * (NTP, a VM resumed) never makes a later reading smaller, so a child read after its parent
 * started never appears to start before it. Wall-clock steps after start-up are not followed,
 * by design; every span, event and close time in one process shares this one clock.
 */
export function now(): number {
  return origin + perf.now();
}

/** An instant read from `performance.now()`, in epoch milliseconds on the same scale as now(). */
export function fromPerformance(at: number): number {
  return origin + at;
}
