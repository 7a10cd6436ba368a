// The recent spans' services, for finding a child's parent service at ingest without a query:
// a fixed-size, two-way hash table in one Int32Array keyed by (trace number, span id), where a
// newer span takes an older one's slot. Hand-written because a Map of string keys (the first
// version) cost about 1 µs per span at ingest in the aggregates bench (key strings, rehashing,
// garbage); a span pushed out early only makes its late children wait for the store lookup.

const BITS = 17;
export const SLOTS = 1 << BITS;

/** murmur3's finalizer: every input bit moves every output bit. */
function fmix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** The slot of a (trace number, span id); the span id is read as two 32-bit words. Each word
 * is mixed before the next joins (span ids and trace numbers often count up together). */
export function slotOf(traceNo: number, id: Buffer): number {
  const lo = id.length >= 4 ? id.readInt32LE(id.length - 4) : 0;
  const hi = id.length >= 8 ? id.readInt32LE(id.length - 8) : id.length;
  // The even slot of a pair: pairs are the table's buckets (see RecentSpans.set).
  return (fmix(lo ^ fmix(hi ^ fmix(traceNo | 0))) >>> (32 - BITS)) & ~1;
}

export class RecentSpans {
  // Four words per slot, so a bucket's two slots share a cache line: the trace number's low 32
  // bits, the span id's two words, and the service's index + 1 (0: empty).
  #t = new Int32Array(SLOTS * 4);
  #names: string[] = [];
  #index = new Map<string, number>();

  set(traceNo: number, id: Buffer, service: string, slot = slotOf(traceNo, id)): void {
    let s = this.#index.get(service);
    if (s === undefined) {
      // Unbounded distinct service names would grow this list: start over past 10,000.
      if (this.#names.length >= 10_000) this.clear();
      s = this.#names.push(service);
      this.#index.set(service, s);
    }
    const t = this.#t;
    const lo = id.length >= 4 ? id.readInt32LE(id.length - 4) : 0;
    const hi = id.length >= 8 ? id.readInt32LE(id.length - 8) : id.length;
    const at = slot * 4;
    // Two ways per bucket (an even slot and the next): the newest first, the one it displaced
    // second, so the older of the two leaves.
    if (t[at + 3] !== 0 && !(t[at] === (traceNo | 0) && t[at + 1] === lo && t[at + 2] === hi)) {
      t.copyWithin(at + 4, at, at + 4);
    }
    t[at] = traceNo;
    t[at + 1] = lo;
    t[at + 2] = hi;
    t[at + 3] = s;
  }

  /** The service of a recent span, if it is still in the table. */
  get(traceNo: number, id: Buffer): string | undefined {
    const t = this.#t;
    const lo = id.length >= 4 ? id.readInt32LE(id.length - 4) : 0;
    const hi = id.length >= 8 ? id.readInt32LE(id.length - 8) : id.length;
    const tn = traceNo | 0;
    for (let at = slotOf(traceNo, id) * 4, end = at + 8; at < end; at += 4) {
      if (t[at + 3] !== 0 && t[at] === tn && t[at + 1] === lo && t[at + 2] === hi)
        return this.#names[t[at + 3]! - 1];
    }
    return undefined;
  }

  clear(): void {
    this.#t.fill(0);
    this.#names = [];
    this.#index.clear();
  }
}
