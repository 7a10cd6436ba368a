// Latency histograms of the viewer's RED metrics: durations counted in log-spaced buckets (each
// 8% wider than the last), so a minute of an operation's spans is a few dozen numbers that add
// up across minutes, and any quantile comes back within 4% (the bucket's geometric middle).
// Stored as BLOBs: (bucket u16, count u32) pairs, little-endian, buckets ascending.

const GROWTH = 1.08;
const LOG_GROWTH = Math.log(GROWTH);
/** Bucket 0 holds durations up to 1 µs; the last one everything from about 2 days up. */
export const BUCKETS = 400;

export type Histogram = Map<number, number>;

/** The bucket of a duration in µs. */
export function bucketOf(durationUs: number): number {
  if (!(durationUs > 1)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(durationUs) / LOG_GROWTH));
}

export function addDuration(h: Histogram, durationUs: number, n = 1): void {
  const b = bucketOf(durationUs);
  h.set(b, (h.get(b) ?? 0) + n);
}

export function mergeInto(into: Histogram, from: Histogram): void {
  for (const [b, n] of from) into.set(b, (into.get(b) ?? 0) + n);
}

/** The q-quantile (0..1) in µs, or null for an empty histogram. */
export function quantile(h: Histogram, q: number): number | null {
  let total = 0;
  for (const n of h.values()) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(b)!;
    if (seen >= rank) return b === 0 ? 1 : GROWTH ** (b - 0.5);
  }
  return null;
}

/** Adds (sign 1) or takes away (sign -1) a BLOB's counts on a dense histogram (a sliding
 * window of minutes); returns the count it held. */
export function addBlob(dense: Float64Array, bytes: Uint8Array, sign: 1 | -1): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let i = 0; i + 6 <= b.length; i += 6) {
    const c = b.readUInt32LE(i + 2);
    dense[b.readUInt16LE(i)]! += sign * c;
    n += c;
  }
  return n;
}

/** The q-quantile (0..1) in µs of a dense histogram holding `total` counts; null when empty. */
export function denseQuantile(dense: Float64Array, total: number, q: number): number | null {
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < dense.length; b++) {
    seen += dense[b]!;
    if (seen >= rank) return b === 0 ? 1 : GROWTH ** (b - 0.5);
  }
  return null;
}

export function encodeHistogram(h: Histogram): Uint8Array {
  const keys = [...h.keys()].sort((x, y) => x - y);
  const out = Buffer.alloc(keys.length * 6);
  keys.forEach((b, i) => {
    out.writeUInt16LE(b, i * 6);
    out.writeUInt32LE(Math.min(h.get(b)!, 0xffffffff), i * 6 + 2);
  });
  return out;
}

export function decodeHistogram(bytes: Uint8Array, into: Histogram = new Map()): Histogram {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 6 <= b.length; i += 6) {
    const k = b.readUInt16LE(i);
    into.set(k, (into.get(k) ?? 0) + b.readUInt32LE(i + 2));
  }
  return into;
}
