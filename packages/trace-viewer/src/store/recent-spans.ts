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

/** 32-bit word of four bytes, little-endian, starting at `at` (0 where the id is shorter). */
function word(id: Uint8Array, at: number): number {
  if (at < 0) return 0;
  return id[at]! | (id[at + 1]! << 8) | (id[at + 2]! << 16) | (id[at + 3]! << 24);
}

/** The bucket (its even slot) of a (trace number, span id). Each word is mixed before the next
 * joins (span ids and trace numbers often count up together). */
function bucket(traceNo: number, lo: number, hi: number): number {
  return (fmix(lo ^ fmix(hi ^ fmix(traceNo | 0))) >>> (32 - BITS)) & ~1;
}

export class RecentSpans {
  // Four words per slot, so a bucket's two slots share a cache line: the trace number's low 32
  // bits, the span id's two words, and the service's index + 1 (0: empty).
  #t = new Int32Array(SLOTS * 4);
  #names: string[] = [];
  #index = new Map<string, number>();
  // The key `set` and `get` use, chosen by `key` (so a span's words are computed once).
  #tn = 0;
  #lo = 0;
  #hi = 0;
  #slot = 0;

  /** Chooses the span the next `set` or `get` is about; returns its bucket's slot. */
  key(traceNo: number, id: Uint8Array): number {
    // A span id's last four bytes and the four before them (no Buffer method calls, no
    // allocation: this runs twice per span at ingest); an id under 8 bytes mixes in its length.
    const n = id.length;
    const lo = word(id, n - 4);
    const hi = n >= 8 ? word(id, n - 8) : n;
    this.#tn = traceNo | 0;
    this.#lo = lo;
    this.#hi = hi;
    this.#slot = bucket(traceNo, lo, hi);
    return this.#slot;
  }

  /** Remembers the chosen span's service. */
  set(service: string): void {
    let s = this.#index.get(service);
    if (s === undefined) {
      // Unbounded distinct service names would grow this list: start over past 10,000.
      if (this.#names.length >= 10_000) this.clear();
      s = this.#names.push(service);
      this.#index.set(service, s);
    }
    const t = this.#t;
    const at = this.#slot * 4;
    // Two ways per bucket (an even slot and the next): the newest first, the one it displaced
    // second, so the older of the two leaves.
    if (
      t[at + 3] !== 0 &&
      !(t[at] === this.#tn && t[at + 1] === this.#lo && t[at + 2] === this.#hi)
    ) {
      t.copyWithin(at + 4, at, at + 4);
    }
    t[at] = this.#tn;
    t[at + 1] = this.#lo;
    t[at + 2] = this.#hi;
    t[at + 3] = s;
  }

  /** The chosen span's service, if it is still in the table. */
  get(): string | undefined {
    const t = this.#t;
    for (let at = this.#slot * 4, end = at + 8; at < end; at += 4) {
      if (t[at + 3] !== 0 && t[at] === this.#tn && t[at + 1] === this.#lo && t[at + 2] === this.#hi)
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
