// The packed form of a full chunk of frozen task rows: each column as zigzag varint deltas from
// the row before, runs of unchanged values as one zero and a count. A burst of short tasks differs
// little row to row: the bench's short tasks pack from 51 bytes a row to about 16.

/** A chunk's fixed-width columns, as FrozenTasks writes and reads them. */
export interface Columns {
  /** Int32 per row: span id and task id deltas. */
  readonly i: Int32Array;
  /** Float64 per row: dropped_at, monotonic ms. */
  readonly dropped: Float64Array;
  /** Uint32 per row: times before dropped_at, durations, static index. */
  readonly u: Uint32Array;
  /** Uint8 per row: counters and flags. */
  readonly s: Uint8Array;
  /** Uint32 per row, made only when some row's last poll start differs from its first poll. */
  lastStart?: Uint32Array;
  /** Uint32 per row, made only when some row has values in its chunk's blob: offset + 1, or 0. */
  extra?: Uint32Array;
}

export function newColumns(rows: number, i32: number, u32: number, u8: number): Columns {
  return {
    i: new Int32Array(rows * i32),
    dropped: new Float64Array(rows),
    u: new Uint32Array(rows * u32),
    s: new Uint8Array(rows * u8),
  };
}

/**
 * Writes numbers as zigzag varints, with arithmetic rather than 32-bit bit operations: deltas of
 * Uint32 columns and of nanosecond clocks need more than 32 bits.
 */
class Writer {
  buf: Uint8Array;
  n = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  varint(v: number): void {
    if (this.n + 10 > this.buf.length) this.#grow();
    const buf = this.buf;
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    // Small values (nearly all of them) with 32-bit operations; larger ones with arithmetic.
    if (z < 0x80000000) {
      while (z >= 0x80) {
        buf[this.n++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
    } else {
      while (z >= 0x80) {
        buf[this.n++] = (z % 0x80) | 0x80;
        z = Math.floor(z / 0x80);
      }
    }
    buf[this.n++] = z;
  }
  #grow(): void {
    const next = new Uint8Array(Math.max(64, this.buf.length * 2));
    next.set(this.buf);
    this.buf = next;
  }
}

class Reader {
  readonly buf: Uint8Array;
  at = 0;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }
  varint(): number {
    let z = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.at++];
      if (b === undefined) throw new RangeError("frozen task chunk: truncated packed data");
      z += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
    }
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}

/**
 * One column's values, `a[r * stride + k]` for each row r (dropped_at as whole ns after `base`),
 * as deltas with zero runs. A loop over the array rather than a getter callback per row: packing
 * was 5% of the CPU of a burst of short tasks with the console on (bench console --only spawn).
 */
function writeColumn(
  w: Writer,
  n: number,
  a: Int32Array | Uint32Array | Uint8Array | Float64Array,
  stride: number,
  k: number,
  base?: number,
): void {
  let prev = 0;
  let zeros = 0;
  const scaled = base !== undefined;
  const b = base ?? 0;
  for (let r = 0, at = k; r < n; r++, at += stride) {
    const x = a[at] as number;
    const v = scaled ? Math.round((x - b) * 1e6) : x;
    if (v === prev) {
      zeros++;
      continue;
    }
    if (zeros > 0) {
      w.varint(0);
      w.varint(zeros);
      zeros = 0;
    }
    w.varint(v - prev);
    prev = v;
  }
  if (zeros > 0) {
    w.varint(0);
    w.varint(zeros);
  }
}

function readColumn(rd: Reader, n: number, set: (row: number, v: number) => void): void {
  let v = 0;
  for (let r = 0; r < n; ) {
    const d = rd.varint();
    if (d === 0) {
      const run = rd.varint();
      if (run < 1 || r + run > n) throw new RangeError("frozen task chunk: bad zero run");
      for (const end = r + run; r < end; r++) set(r, v);
    } else {
      v += d;
      set(r++, v);
    }
  }
}

/**
 * Packs the first `n` rows. dropped_at goes as whole nanoseconds after `base`: FrozenTasks keeps
 * every row's on whole nanoseconds from its chunk's first, so it reads back exactly.
 */
export function pack(
  c: Columns,
  n: number,
  base: number,
  widths: { i32: number; u32: number; u8: number },
): Uint8Array {
  const w = new Writer(n * 16);
  writeColumn(w, n, c.dropped, 1, 0, base);
  for (let k = 0; k < widths.i32; k++) writeColumn(w, n, c.i, widths.i32, k);
  for (let k = 0; k < widths.u32; k++) writeColumn(w, n, c.u, widths.u32, k);
  for (let k = 0; k < widths.u8; k++) writeColumn(w, n, c.s, widths.u8, k);
  for (const col of [c.lastStart, c.extra]) {
    w.varint(col === undefined ? 0 : 1);
    if (col !== undefined) writeColumn(w, n, col, 1, 0);
  }
  return w.buf.slice(0, w.n);
}

/**
 * The columns of a packed chunk, `rows` long: new ones (the rows past `n` zero), or `into`
 * overwritten (its rows past `n` left as they were).
 */
export function unpack(
  bytes: Uint8Array,
  base: number,
  n: number,
  rows: number,
  widths: { i32: number; u32: number; u8: number },
  into?: Columns,
): Columns {
  const c = into ?? newColumns(rows, widths.i32, widths.u32, widths.u8);
  const rd = new Reader(bytes);
  readColumn(rd, n, (r, v) => {
    c.dropped[r] = base + v / 1e6;
  });
  for (let k = 0; k < widths.i32; k++)
    readColumn(rd, n, (r, v) => {
      c.i[r * widths.i32 + k] = v;
    });
  for (let k = 0; k < widths.u32; k++)
    readColumn(rd, n, (r, v) => {
      c.u[r * widths.u32 + k] = v;
    });
  for (let k = 0; k < widths.u8; k++)
    readColumn(rd, n, (r, v) => {
      c.s[r * widths.u8 + k] = v;
    });
  c.lastStart = optional(rd, n, rows, c.lastStart);
  c.extra = optional(rd, n, rows, c.extra);
  if (rd.at !== bytes.length) throw new RangeError("frozen task chunk: trailing packed data");
  return c;
}

function optional(
  rd: Reader,
  n: number,
  rows: number,
  into: Uint32Array | undefined,
): Uint32Array | undefined {
  if (rd.varint() !== 1) return undefined;
  const col = into ?? new Uint32Array(rows);
  readColumn(rd, n, (r, v) => {
    col[r] = v;
  });
  return col;
}
