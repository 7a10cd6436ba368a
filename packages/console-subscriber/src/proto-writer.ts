// A minimal protobuf writer over one reused buffer, for the hand-written encoders of the messages
// sent for every task in every publish (tasks.Task, tasks.Stats). Each encoding is copied out.

const utf8 = new TextEncoder();

export class ProtoWriter {
  buf = new Uint8Array(512);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  /** The bytes written since reset(), copied. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  #room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  byte(b: number): void {
    this.#room(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a safe non-negative integer. */
  varint(n: number): void {
    this.#room(10);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Unsigned varint of a uint64 given as a bigint (the wire's 64-bit two's complement). */
  bigVarint(n: bigint): void {
    if (n >= 0n && n <= 9007199254740991n) {
      this.varint(Number(n));
      return;
    }
    this.#room(10);
    let v = BigInt.asUintN(64, n);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  /** A sint64 (zig-zag) varint, as the generated codec writes i64 field values. */
  sint64(n: bigint): void {
    // Within int64 (fields.ts checks), so the zig-zag value fits in 64 bits.
    this.bigVarint(n < 0n ? -2n * n - 1n : 2n * n);
  }

  /** A length-delimited UTF-8 string (lone surrogates become U+FFFD, as TextEncoder does). */
  string(s: string): void {
    const len = s.length;
    // ASCII needs no encoder: one byte per char, and the length is known up front.
    if (len < 0x80) {
      this.#room(len + 1);
      const start = this.pos;
      let ascii = true;
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        this.buf[start + 1 + i] = c;
      }
      if (ascii) {
        this.buf[start] = len;
        this.pos = start + 1 + len;
        return;
      }
    }
    // At most 3 bytes per UTF-16 unit; the length prefix is reserved at its largest and moved.
    const start = this.begin();
    this.#room(len * 3);
    const { written } = utf8.encodeInto(s, this.buf.subarray(this.pos));
    this.pos += written;
    this.end(start);
  }

  /** Length-delimited bytes. */
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.#room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Starts a nested message or string: reserves one length byte; returns where it is. */
  begin(): number {
    this.byte(0);
    return this.pos - 1;
  }

  /** Ends what begin() started: writes its length, moving the body when it needs more bytes. */
  end(start: number): void {
    const len = this.pos - start - 1;
    if (len < 0x80) {
      this.buf[start] = len;
      return;
    }
    let extra = 0;
    for (let v = len; v >= 0x80; v = Math.floor(v / 0x80)) extra++;
    this.#room(extra);
    this.buf.copyWithin(start + 1 + extra, start + 1, this.pos);
    const body = this.pos;
    this.pos = start;
    this.varint(len);
    this.pos = body + extra;
  }

  /** A uint64 field from a bigint, omitted when 0 (proto3). */
  bigCounter(tag: number, n: bigint): void {
    if (n === 0n) return;
    this.byte(tag);
    this.bigVarint(n);
  }
}
