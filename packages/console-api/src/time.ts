// Conversions between protobuf Timestamp/Duration and the numbers Node hands out.
// Timestamps are wall-clock (epoch); durations are nanoseconds as bigint so nothing rounds.
import type { Duration } from "./generated/google/protobuf/duration.ts";
import type { Timestamp } from "./generated/google/protobuf/timestamp.ts";

const NS_PER_S = 1_000_000_000n;

/** Epoch milliseconds (may be fractional, e.g. performance.timeOrigin + now()) to a Timestamp. */
export function timestampFromMs(ms: number): Timestamp {
  const whole = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.max(0, Math.round((ms - whole * 1000) * 1e6)));
  return { seconds: BigInt(whole), nanos };
}

/** A Timestamp to epoch milliseconds (fractional). */
export function timestampToMs(t: Timestamp): number {
  return Number(t.seconds) * 1000 + t.nanos / 1e6;
}

/** Nanoseconds to a Duration. */
export function durationFromNs(ns: bigint): Duration {
  return { seconds: ns / NS_PER_S, nanos: Number(ns % NS_PER_S) };
}

/** A Duration to nanoseconds. */
export function durationToNs(d: Duration): bigint {
  return d.seconds * NS_PER_S + BigInt(d.nanos);
}
