// Jaeger's clock-skew adjuster: a child span from another host (or of unknown host) that does
// not fit inside its parent is moved — start and log times, not its duration — so it does, by at
// most the configured delta; spans it would move further, or would move while the adjuster is
// off (delta 0, Jaeger's default), get a warning instead. Same rule and warnings as Jaeger's.
import type { TreeSpan } from "../store/read.ts";

export interface SkewResult {
  /** Microseconds to add to the start and log times of the span at each position. */
  deltaUs: Float64Array;
  /** Warnings for the span at a position. */
  warnings: Map<number, string[]>;
}

/**
 * Computes the adjustments for a trace's spans (in the order they will be streamed);
 * `maxDeltaUs` is the largest move allowed, 0 for none.
 */
export function clockSkew(spans: TreeSpan[], maxDeltaUs: number): SkewResult {
  const n = spans.length;
  const deltaUs = new Float64Array(n);
  const warnings = new Map<number, string[]>();
  const warn = (i: number, w: string) => {
    const list = warnings.get(i);
    if (list) list.push(w);
    else warnings.set(i, [w]);
  };
  const byId = new Map<string, number>();
  const skip = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    const first = byId.get(s.spanId);
    if (first === undefined) {
      byId.set(s.spanId, i);
      continue;
    }
    skip[i] = 1;
    const f = spans[first]!;
    // An exact copy is dropped by the duplicate adjuster before this one runs.
    const copy =
      f.hostKey === s.hostKey && f.startUs === s.startUs && f.durationUs === s.durationUs;
    if (!copy) warn(i, "duplicate span IDs; skipping clock skew adjustment");
  }
  // Children as linked lists over positions; roots are spans without a parent in the trace.
  const firstChild = new Int32Array(n).fill(-1);
  const nextSibling = new Int32Array(n).fill(-1);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    const s = spans[i]!;
    if (!s.parentSpanId) {
      roots.push(i);
      continue;
    }
    const p = byId.get(s.parentSpanId);
    if (p === undefined) {
      warn(
        i,
        `parent span ID=${s.parentSpanId} is not in the trace; skipping clock skew adjustment`,
      );
      roots.push(i);
    } else {
      nextSibling[i] = firstChild[p]!;
      firstChild[p] = i;
    }
  }
  // Start times after adjustment: a child is compared with its parent's adjusted start.
  const start = Float64Array.from(spans, (s) => s.startUs);
  // Depth-first from each root without recursion (a chain of spans may be very deep). Each
  // entry: the span, its parent (-1 for a root), and the skew (host key and delta) handed down.
  const stack: Array<{ i: number; parent: number; host: string; delta: number }> = [];
  for (const r of roots) {
    stack.push({ i: r, parent: -1, host: spans[r]!.hostKey, delta: 0 });
    while (stack.length > 0) {
      const { i, parent, host, delta: inherited } = stack.pop()!;
      const s = spans[i]!;
      let skewHost = host;
      let delta = inherited;
      if (parent >= 0 && (s.hostKey !== host || s.hostKey === "")) {
        // Another host: the parent is adjusted already, so compare with its adjusted times.
        skewHost = s.hostKey;
        delta = skewOf(start[i]!, s.durationUs, start[parent]!, spans[parent]!.durationUs);
      }
      if (delta !== 0) {
        if (Math.abs(delta) > maxDeltaUs) {
          warn(
            i,
            maxDeltaUs === 0
              ? `clock skew adjustment disabled; not applying calculated delta of ${goDuration(delta)}`
              : `max clock skew adjustment delta of ${goDuration(maxDeltaUs)} exceeded; not applying calculated delta of ${goDuration(delta)}`,
          );
        } else {
          start[i] = start[i]! + delta;
          deltaUs[i] = delta;
          warn(i, `This span's timestamps were adjusted by ${goDuration(delta)}`);
        }
      }
      for (let c = firstChild[i]!; c >= 0; c = nextSibling[c]!) {
        stack.push({ i: c, parent: i, host: skewHost, delta });
      }
    }
  }
  return { deltaUs, warnings };
}

/** How far to move a child (start, duration) so it fits its parent, in microseconds. */
function skewOf(start: number, duration: number, parentStart: number, parentDuration: number) {
  if (duration > parentDuration) {
    // Longer than its parent: async, or the parent timed out first. Only make sure it does
    // not start before the parent.
    return start < parentStart ? parentStart - start : 0;
  }
  if (start >= parentStart && start + duration <= parentStart + parentDuration) return 0;
  // Network latency assumed split evenly between request and response. Go's integer division
  // truncates toward zero; both durations are whole microseconds.
  const latency = Math.trunc((parentDuration - duration) / 2);
  return parentStart + latency - start;
}

/** A duration as Go's time.Duration prints it (Jaeger's warnings use %v): 1.5ms, -2m3.25s. */
export function goDuration(us: number): string {
  const neg = us < 0;
  const u = Math.abs(Math.round(us));
  let s: string;
  if (u === 0) return "0s";
  if (u < 1000) s = `${u}µs`;
  else if (u < 1e6) s = `${u / 1000}ms`;
  else {
    const h = Math.floor(u / 3.6e9);
    const m = Math.floor((u % 3.6e9) / 6e7);
    const sec = (u % 6e7) / 1e6;
    s = `${h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m` : ""}${sec}s`;
  }
  return neg ? `-${s}` : s;
}
