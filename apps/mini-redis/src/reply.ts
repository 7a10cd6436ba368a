// Server-side reply encoder: RESP2 frames written into one growing output buffer per connection.
// Replies are not sent one by one. Every reply produced while handling one read from the socket
// lands in this buffer, and the connection sends the lot with a single write. With pipelining
// this turns thousands of tiny syscalls into one; without it, it costs nothing.
//
// Big values that never change once made (a stored value, an encoded pub/sub message) are not
// copied in: the writer keeps a reference and sends it between the encoded bytes around it, in
// the same gathered write. A thousand pipelined GETs of a 1 MiB value then cost no memory beyond
// the value itself, and a message published to many subscribers is held once.
import type { Socket } from "node:net";

const CRLF = 0x0a0d; // "\r\n" as a little-endian 16-bit word

/** Pre-encoded frames that are sent often. */
export const OK = Buffer.from("+OK\r\n");
export const PONG = Buffer.from("+PONG\r\n");
export const NIL = Buffer.from("$-1\r\n");
export const NIL_ARRAY = Buffer.from("*-1\r\n");
export const ZERO = Buffer.from(":0\r\n");
export const ONE = Buffer.from(":1\r\n");

const NIL3 = Buffer.from("_\r\n");

/** A shared value at least this long is referenced, not copied (a copy of less costs nothing). */
const SHARE_AT = 32 * 1024;

/** The buffer a writer starts with, and goes back to after a bigger one was needed. */
const INITIAL = 16 * 1024;

export class ReplyWriter {
  private buf: Buffer;
  /** End of the bytes written into `buf`, waiting for `flush`. */
  private length = 0;
  /**
   * Output that comes before `buf[start, length)`: slices of `buf` and shared values, in order.
   * Empty unless a shared value was written since the last flush.
   */
  private pieces: Buffer[] = [];
  private piecesLength = 0;
  /** Where in `buf` the bytes not yet in `pieces` start. */
  private start = 0;
  /**
   * Whether the client switched to RESP3 with `HELLO 3`. RESP3 adds types the commands here
   * use: a real null (`_`), maps (`%`), pushes (`>`, for pub/sub) and verbatim text (`=`).
   * Each method below writes the RESP2 shape otherwise, as Redis does.
   */
  resp3 = false;

  constructor(initial = INITIAL) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Bytes of buffer the writer owns (shared values not included). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Bytes written and not yet flushed. */
  get size(): number {
    return this.piecesLength + this.length - this.start;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const live = this.length - this.start;
    const bigger = Buffer.allocUnsafe(Math.max(live + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, this.start, this.length);
    this.buf = bigger;
    this.start = 0;
    this.length = live;
  }

  /** Appends `bytes`, which the caller never changes afterwards, without copying big ones. */
  private share(bytes: Buffer): void {
    if (bytes.length < SHARE_AT) {
      this.raw(bytes);
      return;
    }
    if (this.length > this.start) this.pieces.push(this.buf.subarray(this.start, this.length));
    this.pieces.push(bytes);
    this.piecesLength += this.length - this.start + bytes.length;
    this.start = this.length;
  }

  /** Appends pre-encoded bytes. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** `+text\r\n`. The text must not contain CR or LF (callers pass fixed strings). */
  simple(text: string): void {
    this.reserve(text.length * 3 + 3);
    this.buf[this.length++] = 0x2b;
    this.length += this.buf.write(text, this.length, "utf8");
    this.crlf();
  }

  /**
   * `-message\r\n`. Like Redis, CR and LF are replaced by spaces: the message may quote what the
   * client sent, and a newline in it would end the frame early and desynchronise the client.
   */
  error(message: string): void {
    const clean = /[\r\n]/.test(message) ? message.replace(/[\r\n]/g, " ") : message;
    this.reserve(clean.length + 3);
    this.buf[this.length++] = 0x2d;
    this.length += this.buf.write(clean, this.length, "latin1");
    this.crlf();
  }

  /** `:n\r\n` */
  integer(n: number): void {
    this.reserve(24);
    this.buf[this.length++] = 0x3a;
    this.digits(n);
    this.crlf();
  }

  /** `$len\r\nbytes\r\n` */
  bulk(bytes: Uint8Array): void {
    this.reserve(bytes.length + 24);
    this.buf[this.length++] = 0x24;
    this.digits(bytes.length);
    this.crlf();
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
    this.crlf();
  }

  /** `$len\r\nbytes\r\n` for a value that never changes (a stored value): not copied if big. */
  bulkShared(bytes: Buffer): void {
    if (bytes.length < SHARE_AT) {
      this.bulk(bytes);
      return;
    }
    this.reserve(24);
    this.buf[this.length++] = 0x24;
    this.digits(bytes.length);
    this.crlf();
    this.share(bytes);
    this.reserve(2);
    this.crlf();
  }

  /** A bulk string from text; `latin1` for keys and channel names (one byte per char). */
  bulkString(text: string, encoding: "utf8" | "latin1" = "utf8"): void {
    const n = Buffer.byteLength(text, encoding);
    this.reserve(n + 24);
    this.buf[this.length++] = 0x24;
    this.digits(n);
    this.crlf();
    this.length += this.buf.write(text, this.length, encoding);
    this.crlf();
  }

  /** The null reply: `$-1` in RESP2, `_` in RESP3. */
  nil(): void {
    this.raw(this.resp3 ? NIL3 : NIL);
  }

  /** A map of n key/value pairs: `%n` in RESP3, an array of 2n items in RESP2. */
  mapHeader(n: number): void {
    if (this.resp3) this.header(0x25, n);
    else this.header(0x2a, 2 * n);
  }

  /** Out-of-band data (pub/sub): `>n` in RESP3, an ordinary array in RESP2. */
  pushHeader(n: number): void {
    this.header(this.resp3 ? 0x3e : 0x2a, n);
  }

  /** Text to show as is (INFO): verbatim `=len\r\ntxt:...` in RESP3, a bulk string in RESP2. */
  verbatim(text: string): void {
    if (!this.resp3) {
      this.bulkString(text);
      return;
    }
    const n = Buffer.byteLength(text) + 4;
    this.reserve(n + 24);
    this.buf[this.length++] = 0x3d;
    this.digits(n);
    this.crlf();
    this.length += this.buf.write(`txt:${text}`, this.length, "utf8");
    this.crlf();
  }

  /**
   * Appends a pre-encoded pub/sub frame (which starts with `*` and is shared by every
   * subscriber, so never changed), turning it into a push frame for a RESP3 client: the two
   * differ only in that first byte.
   */
  pushFrame(frame: Buffer): void {
    if (!this.resp3) {
      this.share(frame);
      return;
    }
    this.reserve(1);
    this.buf[this.length++] = 0x3e;
    this.share(frame.subarray(1));
  }

  private header(type: number, n: number): void {
    this.reserve(24);
    this.buf[this.length++] = type;
    this.digits(n);
    this.crlf();
  }

  /** `*n\r\n`, to be followed by n frames. */
  arrayHeader(n: number): void {
    this.reserve(24);
    this.buf[this.length++] = 0x2a;
    this.digits(n);
    this.crlf();
  }

  private crlf(): void {
    this.buf.writeUInt16LE(CRLF, this.length);
    this.length += 2;
  }

  /** Writes the decimal digits of an integer without building a string. */
  private digits(n: number): void {
    if (n < 0) {
      this.buf[this.length++] = 0x2d;
      n = -n;
    }
    if (n < 10) {
      this.buf[this.length++] = 0x30 + n;
      return;
    }
    let width = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) width++;
    let at = this.length + width - 1;
    for (let x = n; at >= this.length; x = Math.floor(x / 10)) this.buf[at--] = 0x30 + (x % 10);
    this.length += width;
  }

  /**
   * Sends everything written so far with one `socket.write` (one gathered write when shared
   * values are among it), and empties the writer. Returns the socket's back-pressure signal.
   *
   * The buffer is handed to the socket without a copy. If the kernel took all of it at once
   * (`writableLength` is back to 0: libuv wrote synchronously), the socket no longer needs it
   * and we keep writing into it; otherwise it still belongs to the socket and we start a new
   * one. When the socket is already backed up (a client that reads slowly, a subscriber that
   * does not read), the bytes are copied out instead: what waits in the socket is then exactly
   * what is counted against the limits, where a slice would keep its whole buffer alive.
   */
  flush(socket: Socket): boolean {
    if (this.size === 0) return true;
    const backedUp = socket.writableLength !== 0;
    const tail = this.buf.subarray(this.start, this.length);
    let ok: boolean;
    if (this.pieces.length === 0) {
      ok = socket.write(backedUp ? exactCopy(tail) : tail);
    } else {
      if (tail.length > 0) this.pieces.push(tail);
      socket.cork();
      ok = true;
      // Slices of our buffer are copied when backed up; shared values never are.
      const ours = this.buf.buffer;
      for (const p of this.pieces) {
        ok = socket.write(backedUp && p.buffer === ours ? exactCopy(p) : p);
      }
      socket.uncork();
      this.pieces = [];
      this.piecesLength = 0;
    }
    this.start = 0;
    this.length = 0;
    if ((!backedUp && socket.writableLength !== 0) || this.buf.length > 4 * INITIAL) {
      // Still the socket's, or grown for one big reply that is gone: start a fresh one.
      this.buf = Buffer.allocUnsafe(INITIAL);
    }
    return ok;
  }

  /** Forgets unsent replies (the client is being disconnected). */
  discard(): void {
    this.start = 0;
    this.length = 0;
    this.pieces = [];
    this.piecesLength = 0;
    if (this.buf.length > 4 * INITIAL) this.buf = Buffer.allocUnsafe(INITIAL);
  }
}

/**
 * A copy with a memory block of its own: `Buffer.from` would put a small one in Node's shared
 * 64 KiB pool, which then stays alive, garbage and all, for as long as the copy waits.
 */
function exactCopy(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}
