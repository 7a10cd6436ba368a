// A retained row's variable part in its chunk's byte blob: the field values that differ from its
// spawn site's (a connection's peer, a request's route and status) and its histograms' V2
// payloads without their constant 40-byte header, instead of a fields object and two arrays.
import type { Fields } from "@periscope/tracing";
import type { StaticInfo } from "./static-table.ts";

const T_STRING = 1;
const T_INT = 2;
const T_FLOAT = 3;
const T_BIGINT = 4;
const T_TRUE = 5;
const T_FALSE = 6;
const T_NULL = 7;
const T_UNDEFINED = 8;

/** The V2 header: cookie, payload length (bytes 4..7), offset, digits, lowest, highest, ratio. */
export const V2_HEADER = 40;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
let scratch = new Uint8Array(256);

/** A growable byte buffer; rows append to the end of their chunk's. */
export class Blob {
  buf: Uint8Array;
  n = 0;
  constructor(size = 1024) {
    this.buf = new Uint8Array(size);
  }
  #room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  /** Unsigned varint, with arithmetic (values may pass 2^31). */
  uint(v: number): void {
    this.#room(10);
    let z = v;
    while (z >= 0x80) {
      this.buf[this.n++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    this.buf[this.n++] = z;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  string(s: string): void {
    // Encoded into a scratch buffer first, so its length (usually one byte) can go before it.
    if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3);
    const { written } = utf8.encodeInto(s, scratch);
    this.uint(written);
    this.bytes(scratch.subarray(0, written));
  }
  /** The bytes written, trimmed (once the chunk is full). */
  trim(): void {
    if (this.buf.length !== this.n) this.buf = this.buf.slice(0, this.n);
  }
}

/** Reads a row's part of a blob. */
class Cursor {
  readonly buf: Uint8Array;
  at: number;
  constructor(buf: Uint8Array, at: number) {
    this.buf = buf;
    this.at = at;
  }
  uint(): number {
    let z = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.at++];
      if (b === undefined) throw new RangeError("retained task row: truncated values");
      z += (b & 0x7f) * scale;
      if (b < 0x80) return z;
      scale *= 0x80;
    }
  }
  take(n: number): Uint8Array {
    const out = this.buf.subarray(this.at, this.at + n);
    if (out.length !== n) throw new RangeError("retained task row: truncated values");
    this.at += n;
    return out;
  }
}

/** Whether any of `fields`' values differs from `info`'s (then the row writes them). */
export function differs(info: StaticInfo, fields: Fields): boolean {
  for (const k of info.names) if (!Object.is(fields[k], info.fields[k])) return true;
  return false;
}

/**
 * Appends the values of `fields` that differ from `info`'s, each as its
 * index and type, then the value; then 0.
 */
export function writeValues(b: Blob, info: StaticInfo, fields: Fields): void {
  const names = info.names;
  for (let i = 0; i < names.length; i++) {
    const k = names[i] as string;
    const v = fields[k];
    if (Object.is(v, info.fields[k])) continue;
    // The field's index and the value's type in one varint (one byte for the first six fields).
    const head = (i + 1) * 16;
    if (typeof v === "string") {
      b.uint(head + T_STRING);
      b.string(v);
    } else if (typeof v === "number") {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
        b.uint(head + T_INT);
        b.uint(v >= 0 ? v * 2 : -v * 2 - 1);
      } else {
        b.uint(head + T_FLOAT);
        b.bytes(new Uint8Array(Float64Array.of(v).buffer));
      }
    } else if (typeof v === "bigint") {
      b.uint(head + T_BIGINT);
      b.string(v.toString());
    } else if (v === true) b.uint(head + T_TRUE);
    else if (v === false) b.uint(head + T_FALSE);
    else if (v === null) b.uint(head + T_NULL);
    else b.uint(head + T_UNDEFINED);
  }
  b.uint(0);
}

/** Appends a histogram's V2 payload (its header is the one every histogram of its kind has). */
export function writeHist(b: Blob, v2: Uint8Array): void {
  b.uint(v2.length - V2_HEADER);
  b.bytes(v2.subarray(V2_HEADER));
}

/** Whether two V2 encodings share a header but for the payload length. */
export function sameHeader(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < V2_HEADER; i++) if (i >= 8 && a[i] !== b[i]) return false;
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A row's fields (the site's, with the differing values over them) and where its rest begins. */
export function readValues(buf: Uint8Array, at: number, info: StaticInfo, into: Fields): number {
  const c = new Cursor(buf, at);
  for (let head = c.uint(); head !== 0; head = c.uint()) {
    const k = info.names[Math.floor(head / 16) - 1];
    if (k === undefined) throw new RangeError("retained task row: bad field index");
    const tag = head % 16;
    if (tag === T_STRING || tag === T_BIGINT) {
      const s = fromUtf8.decode(c.take(c.uint()));
      into[k] = tag === T_STRING ? s : BigInt(s);
    } else if (tag === T_INT) {
      const z = c.uint();
      into[k] = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    } else if (tag === T_FLOAT) into[k] = new Float64Array(c.take(8).slice().buffer)[0] as number;
    else if (tag === T_TRUE) into[k] = true;
    else if (tag === T_FALSE) into[k] = false;
    else if (tag === T_NULL) into[k] = null;
    else if (tag === T_UNDEFINED) into[k] = undefined;
    else throw new RangeError("retained task row: bad value tag");
  }
  return c.at;
}

/** A histogram written by writeHist, rebuilt whole with `header`; and where the next begins. */
export function readHist(buf: Uint8Array, at: number, header: Uint8Array): [Uint8Array, number] {
  const c = new Cursor(buf, at);
  const n = c.uint();
  const payload = c.take(n);
  const out = new Uint8Array(V2_HEADER + n);
  out.set(header);
  new DataView(out.buffer).setUint32(4, n);
  out.set(payload, V2_HEADER);
  return [out, c.at];
}
