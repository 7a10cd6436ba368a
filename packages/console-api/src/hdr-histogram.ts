// HdrHistogram with the bucket layout and uncompressed V2 serialization of the Rust `hdrhistogram`
// crate, which is what console-subscriber sends and tokio-console decodes (cookie 0x1c849313).

/** V2 cookie: base 0x1c849303 with the 8-byte word-size flag (0x10) set, as the Rust crate writes. */
export const HDR_V2_COOKIE = 0x1c849313;
const HDR_V2_COMPRESSED_COOKIE = 0x1c849314;
const HEADER_SIZE = 40;
const TWO_POW_32 = 2 ** 32;

/** Fixed parameters of a histogram, shared by the recorder and the decoder. */
class Layout {
  readonly lowest: number;
  /** As a number for arithmetic (values are clamped to it); exact in `highestExact`. */
  readonly highest: number;
  readonly highestExact: bigint;
  readonly significantDigits: number;
  readonly unitMagnitude: number;
  readonly subBucketHalfCountMagnitude: number;
  readonly subBucketHalfCount: number;
  readonly subBucketMask: number;
  readonly leadingZeroCountBase: number;
  /** Length of the counts array the Rust crate allocates for `highest`. */
  readonly countsLen: number;

  constructor(lowest: number, highest: number | bigint, significantDigits: number) {
    if (!Number.isSafeInteger(lowest) || lowest < 1) throw new RangeError("lowest must be >= 1");
    const high = BigInt(highest);
    if (high < 2n * BigInt(lowest) || high >= 2n ** 64n)
      throw new RangeError("highest must be >= 2 * lowest and fit in 64 bits");
    if (!Number.isInteger(significantDigits) || significantDigits < 0 || significantDigits > 5)
      throw new RangeError("significant digits must be 0..5");
    this.lowest = lowest;
    this.highestExact = high;
    this.highest = Math.min(Number(high), Number.MAX_SAFE_INTEGER);
    this.significantDigits = significantDigits;
    const largest = 2 * 10 ** significantDigits;
    this.unitMagnitude = Math.floor(Math.log2(lowest));
    const subBucketCountMagnitude = Math.ceil(Math.log2(largest));
    this.subBucketHalfCountMagnitude = subBucketCountMagnitude - 1;
    const subBucketCount = 2 ** subBucketCountMagnitude;
    this.subBucketHalfCount = subBucketCount / 2;
    this.subBucketMask = (subBucketCount - 1) * 2 ** this.unitMagnitude;
    this.leadingZeroCountBase = 64 - this.unitMagnitude - subBucketCountMagnitude;
    // As the Rust crate's buckets_to_cover, in bigint so 2^63-1 style bounds stay exact.
    let smallestUntrackable = BigInt(subBucketCount) << BigInt(this.unitMagnitude);
    let buckets = 1;
    while (smallestUntrackable <= high) {
      if (smallestUntrackable > (2n ** 64n - 1n) / 2n) {
        buckets++;
        break;
      }
      smallestUntrackable <<= 1n;
      buckets++;
    }
    this.countsLen = (buckets + 1) * this.subBucketHalfCount;
  }

  bucketFor(value: number): number {
    return this.leadingZeroCountBase - clz64(Math.max(value, this.subBucketMask));
  }

  indexFor(value: number): number {
    if (value < TWO_POW_32 && this.subBucketMask < TWO_POW_32) {
      // 32-bit integer arithmetic (every duration under 4.29 s in ns): the general path's
      // division by a power of two is most of a record's cost.
      const bucket =
        this.leadingZeroCountBase - 32 - Math.clz32(Math.max(value, this.subBucketMask));
      const sub = value >>> (bucket + this.unitMagnitude);
      return ((bucket + 1) << this.subBucketHalfCountMagnitude) + sub - this.subBucketHalfCount;
    }
    const bucket = this.bucketFor(value);
    const sub = Math.floor(value / 2 ** (bucket + this.unitMagnitude));
    return ((bucket + 1) << this.subBucketHalfCountMagnitude) + sub - this.subBucketHalfCount;
  }

  /** Lowest value counted at `index`. */
  valueFor(index: number): number {
    let bucket = (index >> this.subBucketHalfCountMagnitude) - 1;
    let sub = (index & (this.subBucketHalfCount - 1)) + this.subBucketHalfCount;
    if (bucket < 0) {
      sub -= this.subBucketHalfCount;
      bucket = 0;
    }
    return sub * 2 ** (bucket + this.unitMagnitude);
  }

  /** Highest value counted at the same index as `value`. */
  highestEquivalent(value: number): number {
    const bucket = this.bucketFor(value);
    const sub = Math.floor(value / 2 ** (bucket + this.unitMagnitude));
    const lowest = sub * 2 ** (bucket + this.unitMagnitude);
    return lowest + 2 ** (this.unitMagnitude + bucket) - 1;
  }
}

function clz64(v: number): number {
  return v >= TWO_POW_32 ? Math.clz32(Math.floor(v / TWO_POW_32)) : 32 + Math.clz32(v);
}

/** Sparse counts stay small for entities with few distinct values (most tasks). */
const SPARSE_LIMIT = 16;

/**
 * A recording histogram of non-negative integers (nanoseconds here). Starts sparse and turns
 * dense once it holds many distinct values, so a million short tasks stay cheap.
 */
export class HdrHistogram {
  readonly #layout: Layout;
  #sparseIdx: number[] | undefined = [];
  #sparseCnt: number[] = [];
  #dense: Float64Array | undefined;
  #max = 0;
  #total = 0;

  constructor(lowest: number, highest: number | bigint, significantDigits: number) {
    this.#layout = layoutFor(lowest, highest, significantDigits);
  }

  /** Like the Rust crate's `Histogram::new_with_max(max, sigfig)`: lowest discernible value 1. */
  static withMax(highest: number, significantDigits = 2): HdrHistogram {
    return new HdrHistogram(1, highest, significantDigits);
  }

  get highest(): number {
    return this.#layout.highest;
  }
  get totalCount(): number {
    return this.#total;
  }
  /** Highest equivalent of the largest recorded value, 0 when empty (as the Rust crate). */
  get max(): number {
    return this.#total === 0 ? 0 : this.#layout.highestEquivalent(this.#max);
  }

  /** Records a value; values above `highest` are clamped (callers count outliers themselves). */
  record(value: number, count = 1): void {
    const v = Math.min(Math.max(0, Math.round(value)), this.#layout.highest);
    const index = this.#layout.indexFor(v);
    if (v > this.#max) this.#max = v;
    this.#total += count;
    const idx = this.#sparseIdx;
    if (idx !== undefined) {
      const at = idx.indexOf(index);
      if (at >= 0) {
        this.#sparseCnt[at] = (this.#sparseCnt[at] ?? 0) + count;
        return;
      }
      if (idx.length < SPARSE_LIMIT) {
        idx.push(index);
        this.#sparseCnt.push(count);
        return;
      }
      this.#toDense();
    }
    const dense = this.#ensureDense(index);
    dense[index] = (dense[index] ?? 0) + count;
  }

  #toDense(): void {
    const idx = this.#sparseIdx ?? [];
    const cnt = this.#sparseCnt;
    this.#sparseIdx = undefined;
    this.#sparseCnt = [];
    this.#dense = new Float64Array(0);
    for (let i = 0; i < idx.length; i++) {
      const index = idx[i] as number;
      const d = this.#ensureDense(index);
      d[index] = (d[index] ?? 0) + (cnt[i] ?? 0);
    }
  }

  #ensureDense(index: number): Float64Array {
    let d = this.#dense ?? new Float64Array(0);
    if (index >= d.length) {
      const len = Math.min(this.#layout.countsLen, Math.max(index + 1, d.length * 2, 64));
      const grown = new Float64Array(len);
      grown.set(d);
      d = grown;
    }
    this.#dense = d;
    return d;
  }

  /** The uncompressed V2 serialization, byte for byte what the Rust crate's V2Serializer writes. */
  encodeV2(): Uint8Array {
    // Called for every completed task a console is sent (most hold one or two samples), so this
    // writes into a scratch buffer with 32-bit varints and a cached header: building [index,
    // count] tuples and bigint varints was most of a publish's histogram cost (CPU profile).
    const L = this.#layout;
    const limit = L.indexFor(this.max);
    const w = new V2Writer();
    let next = 0;
    const entry = (index: number, count: number): boolean => {
      if (index > limit) return false;
      const zeros = index - next;
      if (zeros === 1) w.put(0);
      else if (zeros > 1) w.put(-zeros);
      w.put(count);
      next = index + 1;
      return true;
    };
    if (this.#sparseIdx !== undefined) {
      const idx = this.#sparseIdx;
      const cnt = this.#sparseCnt;
      if (idx.length === 1) entry(idx[0] as number, cnt[0] as number);
      else {
        const order = idx.map((_, i) => i).sort((a, b) => (idx[a] as number) - (idx[b] as number));
        for (const i of order) if (!entry(idx[i] as number, cnt[i] as number)) break;
      }
    } else if (this.#dense !== undefined) {
      const d = this.#dense;
      for (let i = 0; i < d.length; i++) {
        const c = d[i] as number;
        if (c > 0 && !entry(i, c)) break;
      }
    }
    const trailing = limit + 1 - next;
    if (trailing === 1) w.put(0);
    else if (trailing > 1) w.put(-trailing);
    const len = w.length;
    const out = new Uint8Array(HEADER_SIZE + len);
    out.set(headerFor(L), 0);
    new DataView(out.buffer).setUint32(4, len);
    out.set(scratch.subarray(0, len), HEADER_SIZE);
    return out;
  }
}

/** The V2 header without its payload length (bytes 4..8), per layout. */
const headers = new WeakMap<Layout, Uint8Array>();
function headerFor(L: Layout): Uint8Array {
  let h = headers.get(L);
  if (h === undefined) {
    h = new Uint8Array(HEADER_SIZE);
    const view = new DataView(h.buffer);
    view.setUint32(0, HDR_V2_COOKIE);
    view.setUint32(8, 0);
    view.setUint32(12, L.significantDigits);
    view.setBigUint64(16, BigInt(L.lowest));
    view.setBigUint64(24, L.highestExact);
    view.setFloat64(32, 1.0);
    headers.set(L, h);
  }
  return h;
}

/** Shared between calls: an encoding is copied out before the next one starts. */
let scratch = new Uint8Array(256);

/** Appends zig-zag LEB128 varints (HdrHistogram's variant) to `scratch`. */
class V2Writer {
  length = 0;
  put(n: number): void {
    if (this.length + 9 > scratch.length) {
      const grown = new Uint8Array(scratch.length * 2);
      grown.set(scratch);
      scratch = grown;
    }
    if (n >= -0x40000000 && n < 0x40000000) {
      // zig-zag fits 31 bits: plain integer arithmetic.
      let v = n >= 0 ? n * 2 : -n * 2 - 1;
      while (v >= 0x80) {
        scratch[this.length++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      scratch[this.length++] = v;
      return;
    }
    const bytes: number[] = [];
    varintWrite(zigZag(n), bytes);
    for (const b of bytes) scratch[this.length++] = b;
  }
}

const layouts = new Map<string, Layout>();
function layoutFor(lowest: number, highest: number | bigint, digits: number): Layout {
  const key = `${lowest}:${highest}:${digits}`;
  let l = layouts.get(key);
  if (l === undefined) {
    l = new Layout(lowest, highest, digits);
    layouts.set(key, l);
  }
  return l;
}

function zigZag(n: number): bigint {
  const b = BigInt(n);
  return b >= 0n ? b << 1n : (-b << 1n) - 1n;
}

/** HdrHistogram's LEB128 variant: at most 9 bytes, the 9th carrying a full 8 bits. */
function varintWrite(value: bigint, out: number[]): void {
  let v = value;
  for (let i = 0; i < 8; i++) {
    if (v < 0x80n) {
      out.push(Number(v));
      return;
    }
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v & 0xffn));
}

/** A decoded histogram: parameters and counts, with the queries a console needs. */
export interface DecodedHistogram {
  readonly significantDigits: number;
  readonly lowest: number;
  /** Highest trackable value, capped at Number.MAX_SAFE_INTEGER. */
  readonly highest: number;
  readonly totalCount: number;
  /** Highest equivalent of the largest value with a count, 0 when empty. */
  readonly max: number;
  /** Lowest equivalent of the smallest value with a count, 0 when empty. */
  readonly min: number;
  /** Buckets with a count: the lowest value of the bucket, its highest, and the count. */
  readonly buckets: ReadonlyArray<{ low: number; high: number; count: number }>;
  /** The value at quantile q in [0, 1] (highest equivalent, as HdrHistogram reports it). */
  valueAtQuantile(q: number): number;
}

/**
 * Decodes a V2 serialization (uncompressed) with the checks the Rust deserializer makes, so bytes
 * this accepts are bytes tokio-console accepts. Throws an Error with `code` on bad input.
 */
export function decodeHdrHistogramV2(bytes: Uint8Array): DecodedHistogram {
  if (bytes.length < HEADER_SIZE) throw histError("shorter than the 40-byte V2 header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cookie = view.getUint32(0);
  if (cookie === HDR_V2_COMPRESSED_COOKIE) throw histError("compressed V2 is not supported");
  if (cookie !== HDR_V2_COOKIE) throw histError(`bad cookie 0x${cookie.toString(16)}`);
  const payloadLen = view.getUint32(4);
  if (view.getUint32(8) !== 0) throw histError("normalizing index offset must be 0");
  const digits = view.getUint32(12);
  const lowestBig = view.getBigUint64(16);
  const highestBig = view.getBigUint64(24);
  const lowest = Number(lowestBig);
  if (view.getFloat64(32) !== 1.0) throw histError("conversion ratio must be 1.0");
  let layout: Layout;
  try {
    if (lowestBig > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("lowest is too large");
    layout = new Layout(lowest, highestBig, digits);
  } catch (e) {
    throw histError(`invalid parameters: ${(e as Error).message}`);
  }
  if (HEADER_SIZE + payloadLen > bytes.length) throw histError("payload is truncated");
  const counts = new Map<number, number>();
  let pos = HEADER_SIZE;
  const end = HEADER_SIZE + payloadLen;
  let index = 0;
  let total = 0;
  while (pos < end) {
    let v = 0n;
    let i = 0;
    for (; i < 9; i++) {
      if (pos >= end) throw histError("varint runs past the payload");
      const b = bytes[pos++] as number;
      if (i === 8) {
        v |= BigInt(b) << 56n;
        break;
      }
      v |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) break;
    }
    const n = v & 1n ? -Number((v + 1n) >> 1n) : Number(v >> 1n);
    if (n < 0) {
      index += -n;
    } else {
      if (n > 0) {
        if (index >= layout.countsLen) throw histError("encoded array is longer than its range");
        counts.set(index, n);
        total += n;
      }
      index++;
    }
  }
  const buckets = [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, count]) => {
      const low = layout.valueFor(i);
      return { low, high: layout.highestEquivalent(low), count };
    });
  const last = buckets[buckets.length - 1];
  return {
    significantDigits: digits,
    lowest,
    highest: layout.highest,
    totalCount: total,
    max: last === undefined ? 0 : last.high,
    min: buckets[0]?.low ?? 0,
    buckets,
    valueAtQuantile(q: number): number {
      if (total === 0) return 0;
      const target = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * total));
      let seen = 0;
      for (const b of buckets) {
        seen += b.count;
        if (seen >= target) return b.high;
      }
      return last?.high ?? 0;
    },
  };
}

function histError(detail: string): Error & { code: string } {
  const e = new Error(
    `PERISCOPE_HISTOGRAM_FORMAT: not an HdrHistogram V2 serialization (${detail})`,
  ) as Error & { code: string };
  e.code = "PERISCOPE_HISTOGRAM_FORMAT";
  return e;
}
