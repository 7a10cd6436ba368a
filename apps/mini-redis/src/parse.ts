// Server-side request parser: turns the bytes a client sends into commands (argument lists),
// from RESP multibulk frames or from inline text lines, without copying complete frames.
//
// A TCP stream carries bytes, not messages: one read may hold half a command or a thousand of
// them. The parser therefore works on a *growing buffer*. When a read holds only complete
// commands, they are parsed in place, straight out of the socket's own chunk, and nothing is
// copied. Only the tail of a half-received command is copied into a buffer the parser owns, and
// later reads are appended to it. Parsing progress (how many arguments of the current command
// have arrived, how long the next one is) is kept between reads, so a huge command that arrives
// in many small pieces is scanned once, not once per piece.
//
// Arguments are handed to the command as offsets into that buffer (see `Args`), so the parser
// allocates nothing per command; a command copies only what it keeps (a key, a stored value).
import { Args } from "./args.ts";
import { splitInline } from "./inline.ts";
import { release } from "./release.ts";

/** The limits a client's requests must respect; the defaults are Redis's. */
export interface ParserLimits {
  /** Longest bulk string accepted, in bytes (Redis's `proto-max-bulk-len`, 512 MB). */
  maxBulkLength: number;
  /** Most arguments in one command (1,048,576, the classic Redis limit). */
  maxMultibulkLength: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxBulkLength: 512 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024,
};

/**
 * Longest line (inline command or a `*`/`$` header) accepted before its newline arrives.
 * Redis's PROTO_INLINE_MAX_SIZE: without it a client could grow our buffer forever by never
 * sending a newline.
 */
const MAX_LINE = 64 * 1024;

/** A bulk string at least this long grows its buffer no further than its end (PROTO_MBULK_BIG_ARG). */
const BIG_BULK = 32 * 1024;

/** The first size a buffer growing for a big bulk string takes (see moveToOwned). */
const BIG_STEP = 64 * 1024 * 1024;

/** An owned buffer bigger than this is given back once its command is done. */
const KEEP_OWNED = 1024 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;
const EMPTY = Buffer.alloc(0);

/** What the parser calls as it recognises commands. */
export interface CommandSink {
  /**
   * A complete command. `args` is only valid during the call: its bytes may be overwritten by
   * the next read, or their memory released once the command returns. Return false to stop
   * parsing for now: the rest of the bytes stay buffered and `resume` goes on from the next
   * command (the connection is closing after QUIT, or wants its replies sent before it runs
   * more commands).
   */
  onCommand(args: Args): boolean;
  /** The stream is not valid RESP. Redis replies `-ERR Protocol error: ...` and closes. */
  onProtocolError(message: string): void;
}

export class RequestParser {
  private readonly limits: ParserLimits;
  /** The bytes being parsed: either the socket's chunk (not ours) or `owned`. */
  private buf: Buffer = EMPTY;
  /** Start of the first unconsumed byte (the start of the current command). */
  private pos = 0;
  /** End of valid data in `buf`. */
  private end = 0;
  /** Whether `buf` is our own buffer (which may have spare capacity and be reused). */
  private isOwned = false;
  private owned: Buffer = EMPTY;

  // Progress through a multibulk command, kept across reads. `left` is the number of
  // arguments still to come (-1: not inside a multibulk), `bulkLen` the announced length of
  // the next argument (-1: its `$` header is still to be read), `scan` how far we got,
  // relative to `pos` so that moving the data to a bigger buffer does not invalidate it.
  private left = -1;
  private bulkLen = -1;
  private scan = 0;
  // How many bytes of the line being looked at (an inline command or a `*`/`$` header) are
  // already known not to hold its terminator. Without it, a client sending a long line one
  // byte at a time would make us rescan the whole line on every read: quadratic work.
  private searched = 0;

  private readonly args: Args;
  /** Scratch space for inline commands, whose arguments are unescaped (so not in `buf`). */
  private inlineBuf: Buffer = Buffer.allocUnsafe(256);
  /** Set once a protocol error was reported; the connection is then dead to the parser. */
  private failed = false;

  constructor(limits: ParserLimits = DEFAULT_LIMITS) {
    this.limits = limits;
    this.args = new Args();
  }

  /** Bytes of buffer the parser holds on to between reads (its own, or a socket chunk's). */
  get capacity(): number {
    return Math.max(this.owned.length, this.buf.length);
  }

  /** Bytes received but not yet parsed into a command (a half-sent frame). */
  get pending(): number {
    return this.end - this.pos;
  }

  /**
   * Feeds one chunk read from the socket and runs every complete command in it through
   * `sink`, until the sink asks to stop. Returns false after a protocol error: the parser is
   * then dead.
   */
  feed(chunk: Buffer, sink: CommandSink): boolean {
    if (this.failed) return false;
    if (this.pos === this.end) {
      // The common case: nothing left over from the previous read. Parse the chunk in place.
      this.buf = chunk;
      this.isOwned = false;
      this.pos = 0;
      this.end = chunk.length;
    } else {
      this.append(chunk);
    }
    const ok = this.run(sink);
    // The arguments point into the buffer; they must not keep a big one alive once it is done.
    this.args.rebase(EMPTY, 0);
    if (!ok) return false;
    if (this.pos === this.end) {
      // Everything consumed. Drop the reference so a socket chunk is not kept alive, and give
      // back an owned buffer that grew big for one large value.
      this.buf = EMPTY;
      this.pos = this.end = 0;
      this.isOwned = false;
      if (this.owned.length > KEEP_OWNED) {
        release(this.owned);
        this.owned = EMPTY;
      }
    } else if (!this.isOwned) {
      // A half-received command sits at the end of the socket's chunk: copy just that tail
      // into our own buffer, so that the chunk (possibly 64 KiB) is not retained for it.
      this.moveToOwned(0);
    }
    return true;
  }

  /**
   * Goes on parsing what is buffered after the sink asked to stop; the same as feeding an empty
   * chunk. Returns false after a protocol error.
   */
  resume(sink: CommandSink): boolean {
    return this.feed(EMPTY, sink);
  }

  /** Appends a chunk after the unconsumed bytes, growing the owned buffer geometrically. */
  private append(chunk: Buffer): void {
    if (!this.isOwned || this.owned.length - this.end < chunk.length) {
      // Inside a big bulk string whose length is known, grow no further than its end, as Redis
      // sizes its query buffer for a big argument: plain doubling would leave up to twice the
      // request's size allocated after its last byte arrived.
      const bulkEnd = this.left > 0 && this.bulkLen >= BIG_BULK ? this.scan + this.bulkLen + 2 : 0;
      this.moveToOwned(chunk.length, bulkEnd);
    }
    chunk.copy(this.owned, this.end);
    this.end += chunk.length;
  }

  /**
   * Moves the unconsumed bytes to the start of the owned buffer, with `extra` bytes free; a
   * growing buffer does not grow past `cap` bytes (0: no cap) unless it must.
   */
  private moveToOwned(extra: number, cap = 0): void {
    const live = this.end - this.pos;
    const need = live + extra;
    let target = this.owned;
    if (target.length < need) {
      // Doubling keeps the total copying linear in the size of the command. Inside a big bulk
      // string, start at 64 MiB (or its end): the C allocator serves blocks that big straight
      // from the kernel and gives them back when freed, where the small steps of a doubling
      // would stay in its heap, and so in the process, after the request.
      const doubled = Math.max(target.length * 2, cap > 0 ? Math.min(cap, BIG_STEP) : 4096);
      target = Buffer.allocUnsafe(Math.max(need, cap > 0 ? Math.min(doubled, cap) : doubled));
    }
    // copy() handles overlapping ranges, so compacting within the same buffer is fine.
    this.buf.copy(target, 0, this.pos, this.end);
    // A big buffer outgrown is released now, not at the next garbage collection: growing to a
    // 512 MB argument would otherwise leave every smaller step allocated too.
    if (target !== this.owned && this.owned.length > KEEP_OWNED) release(this.owned);
    this.owned = target;
    this.buf = target;
    this.isOwned = true;
    this.pos = 0;
    this.end = live;
    // Give back a buffer that grew huge for one big value once it is no longer needed.
    if (live === 0 && target.length > KEEP_OWNED) this.owned = EMPTY;
  }

  /** Parses as many complete commands as the buffer holds. */
  private run(sink: CommandSink): boolean {
    const buf = this.buf;
    const args = this.args;
    while (this.pos < this.end) {
      if (this.left < 0) {
        if (buf[this.pos] !== STAR) {
          // Anything that does not start with `*` is an inline command, as in Redis: this is
          // what lets people type commands into telnet.
          const r = this.parseInline(sink);
          if (r === 0 || r === -2) return true; // need more data, or the sink said stop
          if (r < 0) return false;
          continue;
        }
        const cr = find(buf, CR, this.pos + 1 + this.searched, this.end);
        if (cr < 0 || cr + 1 >= this.end) {
          if (this.end - this.pos > MAX_LINE) return this.fail(sink, "too big mbulk count string");
          this.searched = (cr < 0 ? this.end : cr) - this.pos - 1;
          return true;
        }
        this.searched = 0;
        const n = parseInteger(buf, this.pos + 1, cr);
        if (n === null || n > this.limits.maxMultibulkLength) {
          return this.fail(sink, "invalid multibulk length");
        }
        if (n <= 0) {
          // `*0` or `*-1`: an empty command, which Redis silently skips.
          this.pos = cr + 2;
          continue;
        }
        this.left = n;
        this.bulkLen = -1;
        this.scan = cr + 2 - this.pos;
        args.clear();
      }
      // Inside a multibulk: read `$len\r\n` headers and `len` bytes of payload until all
      // announced arguments have arrived.
      while (this.left > 0) {
        let at = this.pos + this.scan;
        if (this.bulkLen < 0) {
          if (at >= this.end) return true;
          if (buf[at] !== DOLLAR) {
            return this.fail(sink, `expected '$', got '${String.fromCharCode(buf[at]!)}'`);
          }
          const cr = find(buf, CR, at + 1 + this.searched, this.end);
          if (cr < 0 || cr + 1 >= this.end) {
            if (this.end - at > MAX_LINE) return this.fail(sink, "too big bulk count string");
            this.searched = (cr < 0 ? this.end : cr) - at - 1;
            return true;
          }
          this.searched = 0;
          const n = parseInteger(buf, at + 1, cr);
          if (n === null || n < 0 || n > this.limits.maxBulkLength) {
            return this.fail(sink, "invalid bulk length");
          }
          this.bulkLen = n;
          at = cr + 2;
          this.scan = at - this.pos;
        }
        // The payload plus its trailing CRLF. Like Redis, the two bytes after the payload are
        // skipped without being checked.
        if (this.end - at < this.bulkLen + 2) return true;
        args.push(at - this.pos, at - this.pos + this.bulkLen);
        this.scan = at + this.bulkLen + 2 - this.pos;
        this.bulkLen = -1;
        this.left--;
      }
      // A whole command. Consume it before running it, so that the sink sees a consistent
      // parser state even if it stops here.
      this.left = -1;
      args.rebase(buf, this.pos);
      this.pos += this.scan;
      if (!sink.onCommand(args)) return true;
    }
    return true;
  }

  /**
   * Parses one inline command line. Returns 1 when one was consumed, 0 for "need more", -1 on
   * error, -2 when the sink asked to stop.
   */
  private parseInline(sink: CommandSink): number {
    const buf = this.buf;
    const nl = find(buf, LF, this.pos + this.searched, this.end);
    if (nl < 0) {
      if (this.end - this.pos > MAX_LINE) {
        this.fail(sink, "too big inline request");
        return -1;
      }
      this.searched = this.end - this.pos;
      return 0;
    }
    this.searched = 0;
    let lineEnd = nl;
    if (lineEnd > this.pos && buf[lineEnd - 1] === CR) lineEnd--;
    const lineStart = this.pos;
    this.pos = nl + 1;
    // Unescaped arguments are never longer than the line itself.
    if (this.inlineBuf.length < lineEnd - lineStart) {
      this.inlineBuf = Buffer.allocUnsafe(lineEnd - lineStart);
    }
    this.args.clear();
    this.args.rebase(this.inlineBuf, 0);
    if (!splitInline(buf, lineStart, lineEnd, this.inlineBuf, this.args)) {
      this.fail(sink, "unbalanced quotes in request");
      return -1;
    }
    if (this.args.argc === 0) return 1; // an empty line, ignored as Redis does
    return sink.onCommand(this.args) ? 1 : -2;
  }

  private fail(sink: CommandSink, message: string): false {
    this.failed = true;
    this.searched = 0;
    this.buf = EMPTY;
    if (this.owned.length > KEEP_OWNED) release(this.owned);
    this.owned = EMPTY;
    this.pos = this.end = 0;
    sink.onProtocolError(`Protocol error: ${message}`);
    return false;
  }
}

/**
 * Index of `byte` in `buf[from, to)`, or -1. An owned buffer has stale bytes after `to`, which
 * must not be searched (they could hold an old terminator).
 */
function find(buf: Buffer, byte: number, from: number, to: number): number {
  // Headers like `$3\r\n` end within a few bytes: a plain loop finds that CR faster than a
  // call into native code. Longer lines go to the native search.
  const near = Math.min(to, from + 16);
  for (let i = from; i < near; i++) if (buf[i] === byte) return i;
  if (near >= to) return -1;
  return to === buf.length ? buf.indexOf(byte, near) : buf.subarray(0, to).indexOf(byte, near);
}

/**
 * Parses a decimal integer the way Redis's `string2ll` does: an optional minus sign, no plus
 * sign, no spaces, no leading zeros. Returns null when the text is not such a number or is too
 * large to be exact (no length we accept comes anywhere near 2^53).
 */
export function parseInteger(buf: Uint8Array, start: number, end: number): number | null {
  let i = start;
  if (i >= end) return null;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
    if (i >= end) return null;
  }
  if (end - i > 15) return null;
  const first = buf[i]!;
  if (first === 0x30) return end - i === 1 && !negative ? 0 : null;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
