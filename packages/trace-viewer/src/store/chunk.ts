// The stored form of spans: one row per chunk, the spans of one trace from one resource and scope
// of one committed group. A chunk holds three blobs: the spans' fixed-size columns (ids, operation,
// kind, error, times) that search, summaries and the tree pass read without decoding a span; the
// spans' protobuf bytes, each behind a length; and a Bloom filter of the chunk's tag pairs.
// Hand-written because one row per span cost SQLite five b-tree inserts per span (the row, four
// indexes) plus about two tag rows: ingest spent 2-3x the decoding CPU on them (see README).

/** Bytes of one span's columns: span id 8, parent id 8, op id 4, kind 1, error 1, pad 2,
 * start µs 8 (float64: exact below 2^53), duration µs 8. */
export const COL_BYTES = 40;

export interface ChunkSpan {
  spanId: Uint8Array;
  /** 8 zero bytes when the span has no parent. */
  parentId: Uint8Array;
  opId: number;
  kind: number;
  error: boolean;
  startUs: number;
  durationUs: number;
}

/** Reads the columns of every span of a chunk, in stored (arrival) order. */
export class ChunkCols {
  readonly n: number;
  #b: Buffer;
  constructor(cols: Uint8Array) {
    this.#b = Buffer.from(cols.buffer, cols.byteOffset, cols.byteLength);
    this.n = Math.floor(cols.byteLength / COL_BYTES);
  }
  spanId(i: number): Buffer {
    return this.#b.subarray(i * COL_BYTES, i * COL_BYTES + 8);
  }
  parentId(i: number): Buffer {
    return this.#b.subarray(i * COL_BYTES + 8, i * COL_BYTES + 16);
  }
  /** The parent id in hex, "" when the span has none. */
  parentHex(i: number): string {
    const at = i * COL_BYTES + 8;
    const b = this.#b;
    if (b.readUInt32LE(at) === 0 && b.readUInt32LE(at + 4) === 0) return "";
    return b.toString("hex", at, at + 8);
  }
  spanHex(i: number): string {
    return this.#b.toString("hex", i * COL_BYTES, i * COL_BYTES + 8);
  }
  opId(i: number): number {
    return this.#b.readUInt32LE(i * COL_BYTES + 16);
  }
  kind(i: number): number {
    return this.#b[i * COL_BYTES + 20]!;
  }
  error(i: number): boolean {
    return this.#b[i * COL_BYTES + 21] === 1;
  }
  startUs(i: number): number {
    return this.#b.readDoubleLE(i * COL_BYTES + 24);
  }
  durationUs(i: number): number {
    return this.#b.readDoubleLE(i * COL_BYTES + 32);
  }
}

/** The protobuf bytes of each span of a chunk's body, in order. */
export function* chunkBodies(body: Uint8Array): Generator<Uint8Array> {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  for (let at = 0; at + 4 <= b.length; ) {
    const len = b.readUInt32LE(at);
    yield b.subarray(at + 4, at + 4 + len);
    at += 4 + len;
  }
}

/**
 * Two 32-bit hashes of a string (FNV-1a, and a multiplicative one seeded differently), the Bloom
 * filter's double hashing pair.
 */
export function hashPair(s: string): [number, number] {
  hashInto(s, 0x811c9dc5, 0x9747b28c);
  return [ha >>> 0, (hb | 1) >>> 0];
}

// The running hash (two words), so a tag pair is hashed without building its key string.
let ha = 0;
let hb = 0;
function hashInto(s: string, a: number, b: number): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  ha = a;
  hb = b;
}

/** The string a tag pair is hashed as (key, NUL, value). */
export const tagKey = (key: string, value: string) => `${key}\u0000${value}`;

/** Probes per key: 3 gives about 1% false positives at 12 bits per key. */
const PROBES = 3;

/** A Bloom filter sized for `keys` distinct pairs (a power of two of bytes, 8 at least). */
export function bloomOf(pairs: Array<[number, number]>): Uint8Array {
  let bytes = 8;
  while (bytes * 8 < pairs.length * 12) bytes *= 2;
  const out = new Uint8Array(bytes);
  const mask = bytes * 8 - 1;
  for (const [a, b] of pairs) {
    for (let k = 0; k < PROBES; k++) {
      const bit = (a + Math.imul(k, b)) & mask;
      out[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return out;
}

/** Whether a Bloom filter may hold the pair (false: it certainly does not). */
export function bloomHas(bloom: Uint8Array, a: number, b: number): boolean {
  const mask = bloom.byteLength * 8 - 1;
  if (mask < 0) return false;
  for (let k = 0; k < PROBES; k++) {
    const bit = (a + Math.imul(k, b)) & mask;
    if ((bloom[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** Accumulates the spans of one chunk at ingest and writes its three blobs. */
export class ChunkBuilder {
  n = 0;
  errors = 0;
  startMin = Number.POSITIVE_INFINITY;
  startMax = Number.NEGATIVE_INFINITY;
  durMax = 0;
  #spans: ChunkSpan[] = [];
  #bodies: Uint8Array[] = [];
  #bodyBytes = 0;
  /** Distinct tag pairs by a 53-bit mix of their two hashes. */
  #pairs = new Map<number, [number, number]>();

  add(s: ChunkSpan, raw: Uint8Array): void {
    // The trace id (the chunk's) and the span id (in the columns) are left out of the stored
    // bytes when they lead the message, as every OTLP encoder writes them: 28 bytes of about
    // 150 a span, and ingest is bound by bytes written.
    let at = 0;
    if (raw[0] === 0x0a && raw[1] === 16) at = 18;
    if (raw[at] === 0x12 && raw[at + 1] === 8) at += 10;
    if (at > 0) raw = raw.subarray(at);
    this.#spans.push(s);
    this.#bodies.push(raw);
    this.#bodyBytes += 4 + raw.byteLength;
    this.n++;
    if (s.error) this.errors++;
    if (s.startUs < this.startMin) this.startMin = s.startUs;
    if (s.startUs > this.startMax) this.startMax = s.startUs;
    if (s.durationUs > this.durMax) this.durMax = s.durationUs;
  }

  /** Adds a tag pair to the chunk's Bloom filter (once per distinct pair). */
  tag(key: string, value: string): void {
    // hashPair(tagKey(key, value)), without the string.
    hashInto(key, 0x811c9dc5, 0x9747b28c);
    hashInto("\u0000", ha, hb);
    hashInto(value, ha, hb);
    const a = ha >>> 0;
    const b = (hb | 1) >>> 0;
    const k = a * 2097152 + (b & 0x1fffff);
    if (!this.#pairs.has(k)) this.#pairs.set(k, [a, b]);
  }

  cols(): Buffer {
    const c = Buffer.alloc(this.n * COL_BYTES);
    let at = 0;
    for (const s of this.#spans) {
      c.set(s.spanId, at);
      c.set(s.parentId, at + 8);
      c.writeUInt32LE(s.opId, at + 16);
      c[at + 20] = s.kind;
      c[at + 21] = s.error ? 1 : 0;
      c.writeDoubleLE(s.startUs, at + 24);
      c.writeDoubleLE(s.durationUs, at + 32);
      at += COL_BYTES;
    }
    return c;
  }

  body(): Buffer {
    const out = Buffer.allocUnsafe(this.#bodyBytes);
    let at = 0;
    for (const b of this.#bodies) {
      out.writeUInt32LE(b.byteLength, at);
      out.set(b, at + 4);
      at += 4 + b.byteLength;
    }
    return out;
  }

  bloom(): Uint8Array {
    return bloomOf([...this.#pairs.values()]);
  }
}
