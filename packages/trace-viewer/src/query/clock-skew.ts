// Jaeger's adjusters that need a trace's whole span tree, computed in one pass over ids and
// times (no bodies) before the spans stream: exact duplicates to drop, and the clock-skew
// adjuster — a child span from another host (or of unknown host) that does not fit inside its
// parent is moved (start and log times, not its duration) so it does, by at most the configured
// delta; spans it would move further, or would move while the adjuster is off (delta 0,
// Jaeger's default), get Jaeger's warning instead. Kept in typed arrays by stream position, so
// a 250,000-span trace costs a few tens of MB, not an object per span.
import type { TreeSpan } from "../store/read.ts";

const DUPLICATE = 1;
const MISSING_PARENT = 2;
const ADJUSTED = 3;
const EXCEEDED = 4;
const DISABLED = 5;

export class TraceAdjustments {
  /** 1 for a span that is an exact copy of an earlier one (dropped). */
  readonly drop: Uint8Array;
  readonly #code: Uint8Array;
  readonly #delta: Float64Array;
  readonly #parents: string[];
  readonly #ids: string[];
  readonly #maxDeltaUs: number;

  private constructor(n: number, maxDeltaUs: number, ids: string[], parents: string[]) {
    this.drop = new Uint8Array(n);
    this.#code = new Uint8Array(n);
    this.#delta = new Float64Array(n);
    this.#parents = parents;
    this.#ids = ids;
    this.#maxDeltaUs = maxDeltaUs;
  }

  /**
   * Whether the span streamed at a position is the one this pass saw there: spans committed
   * between the two passes could shift a capped trace's order; adjustments then stop.
   */
  matches(at: number, spanId: string): boolean {
    return this.#ids[at] === spanId;
  }

  /** Microseconds to add to the start and log times of the span at a position. */
  deltaUs(at: number): number {
    return this.#code[at] === ADJUSTED ? this.#delta[at]! : 0;
  }

  /** The adjuster's warning for the span at a position, in Jaeger's words. */
  warning(at: number): string | undefined {
    const d = goDuration(this.#delta[at]!);
    switch (this.#code[at]) {
      case DUPLICATE:
        return "duplicate span IDs; skipping clock skew adjustment";
      case MISSING_PARENT:
        return `parent span ID=${this.#parents[at]} is not in the trace; skipping clock skew adjustment`;
      case ADJUSTED:
        return `This span's timestamps were adjusted by ${d}`;
      case EXCEEDED:
        return `max clock skew adjustment delta of ${goDuration(this.#maxDeltaUs)} exceeded; not applying calculated delta of ${d}`;
      case DISABLED:
        return `clock skew adjustment disabled; not applying calculated delta of ${d}`;
      default:
        return undefined;
    }
  }

  /** Computes both adjusters for a trace's spans, given in the order they will be streamed. */
  static of(spans: Iterable<TreeSpan>, maxDeltaUs: number): TraceAdjustments {
    // Plain arrays of numbers (8 bytes an entry) while the count is unknown; no object per span.
    const byId = new Map<string, number>();
    const host: string[] = [];
    const ids: string[] = [];
    const parents: string[] = [];
    const start: number[] = [];
    const duration: number[] = [];
    const res: number[] = [];
    const op: number[] = [];
    const repeats: number[] = [];
    for (const s of spans) {
      const i = start.length;
      host.push(s.hostKey);
      ids.push(s.spanId);
      parents.push(s.parentSpanId);
      start.push(s.startUs);
      duration.push(s.durationUs);
      res.push(s.resourceId);
      op.push(s.opId);
      if (byId.has(s.spanId)) repeats.push(i, byId.get(s.spanId)!);
      else byId.set(s.spanId, i);
    }
    const n = start.length;
    const a = new TraceAdjustments(n, maxDeltaUs, ids, parents);
    for (let k = 0; k < repeats.length; k += 2) {
      const i = repeats[k]!;
      const f = repeats[k + 1]!;
      // An exact copy (a sender's retry) is dropped; another span with the same id is kept,
      // with Jaeger's warning, outside the tree.
      const copy =
        res[f] === res[i] &&
        op[f] === op[i] &&
        start[f] === start[i] &&
        duration[f] === duration[i];
      if (copy) a.drop[i] = 1;
      else a.#code[i] = DUPLICATE;
    }
    // Children as linked lists over positions; roots are spans without a parent in the trace.
    const firstChild = new Int32Array(n).fill(-1);
    const nextSibling = new Int32Array(n).fill(-1);
    const roots: number[] = [];
    for (let i = 0; i < n; i++) {
      if (a.drop[i] || a.#code[i] === DUPLICATE) continue;
      const parent = a.#parents[i]!;
      const p = parent ? byId.get(parent) : undefined;
      if (p === undefined) {
        if (parent) a.#code[i] = MISSING_PARENT;
        roots.push(i);
      } else {
        nextSibling[i] = firstChild[p]!;
        firstChild[p] = i;
      }
    }
    byId.clear();
    // Depth-first from each root without recursion (a chain of spans may be very deep): the
    // span, its parent (-1 for a root), and the skew (host and delta) its parent hands down,
    // in parallel stacks (each span is pushed once).
    const stackSpan = new Int32Array(n);
    const stackParent = new Int32Array(n);
    const stackHost: string[] = new Array(n);
    const stackDelta = new Float64Array(n);
    for (const r of roots) {
      stackSpan[0] = r;
      stackParent[0] = -1;
      stackHost[0] = host[r]!;
      stackDelta[0] = 0;
      let top = 1;
      while (top > 0) {
        top--;
        const i = stackSpan[top]!;
        const parent = stackParent[top]!;
        let skewHost = stackHost[top]!;
        let delta = stackDelta[top]!;
        if (parent >= 0 && (host[i] !== skewHost || host[i] === "")) {
          // Another host: the parent is adjusted already; compare with its adjusted start.
          skewHost = host[i]!;
          delta = skewOf(start[i]!, duration[i]!, start[parent]!, duration[parent]!);
        }
        if (delta !== 0) {
          a.#delta[i] = delta;
          if (Math.abs(delta) > maxDeltaUs) a.#code[i] = maxDeltaUs === 0 ? DISABLED : EXCEEDED;
          else {
            a.#code[i] = ADJUSTED;
            start[i] = start[i]! + delta;
          }
        }
        for (let c = firstChild[i]!; c >= 0; c = nextSibling[c]!) {
          stackSpan[top] = c;
          stackParent[top] = i;
          stackHost[top] = skewHost;
          stackDelta[top] = delta;
          top++;
        }
      }
    }
    return a;
  }
}

/** How far to move a child (start, duration) so it fits its parent, in microseconds. */
function skewOf(start: number, duration: number, parentStart: number, parentDuration: number) {
  if (duration > parentDuration) {
    // Longer than its parent: async, or the parent timed out first. Only make sure it does
    // not start before the parent.
    return start < parentStart ? parentStart - start : 0;
  }
  if (start >= parentStart && start + duration <= parentStart + parentDuration) return 0;
  // Network latency assumed split evenly between request and response (Go's integer division
  // truncates toward zero; both durations are whole microseconds).
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
