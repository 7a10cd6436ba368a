// The arguments of one received command, as offsets into the parser's buffer.
// Commands read them through this cursor-like view instead of receiving an array of strings,
// so that parsing a command allocates nothing; a command pays only for what it keeps.

/**
 * Buffer's own latin1 decoder, called directly: `toString("latin1", ...)` reaches the same
 * function after checking its arguments, and this is called once or twice per command.
 */
type Latin1Slice = (this: Buffer, start: number, end: number) => string;
const latin1Slice: Latin1Slice =
  (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString("latin1", start, end);
  };

/** Thrown by `Args` accessors; the connection turns it into an `-ERR` reply. */
export class CommandError extends Error {}

export class Args {
  /** Number of arguments, the command name included. */
  argc = 0;
  private buf: Buffer = Buffer.alloc(0);
  private base = 0;
  // Start and end of each argument, relative to `base`. Grown on demand: most commands have
  // two or three arguments, a few have a million.
  private starts = new Int32Array(8);
  private ends = new Int32Array(8);

  clear(): void {
    this.argc = 0;
  }

  /** Points the offsets at `buf`, starting at `base` (the start of the command). */
  rebase(buf: Buffer, base: number): void {
    this.buf = buf;
    this.base = base;
  }

  push(start: number, end: number): void {
    if (this.argc === this.starts.length) {
      const starts = new Int32Array(this.argc * 2);
      starts.set(this.starts);
      this.starts = starts;
      const ends = new Int32Array(this.argc * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.starts[this.argc] = start;
    this.ends[this.argc] = end;
    this.argc++;
  }

  /** Byte length of argument `i`. */
  len(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /**
   * Argument `i` as a string that maps each byte to one character (latin1). Keys and channel
   * names are binary-safe in Redis, and latin1 is the one string encoding that round-trips
   * every byte sequence, so it is what the keyspace uses.
   */
  str(i: number): string {
    return latin1Slice.call(this.buf, this.base + this.starts[i]!, this.base + this.ends[i]!);
  }

  /**
   * At most the first `max` bytes of argument `i`, as latin1 text: what error messages quote.
   * An argument may be 512 MB; a string of all of it, only to cut it, would cost as much.
   */
  strPrefix(i: number, max: number): string {
    const start = this.base + this.starts[i]!;
    return latin1Slice.call(this.buf, start, Math.min(this.base + this.ends[i]!, start + max));
  }

  /** At most the first `max` bytes of argument `i`, as UTF-8 text. */
  textPrefix(i: number, max: number): string {
    const start = this.base + this.starts[i]!;
    return this.buf.toString("utf8", start, Math.min(this.base + this.ends[i]!, start + max));
  }

  /** Argument `i` as UTF-8 text, for messages shown to people. */
  text(i: number): string {
    return this.buf.toString("utf8", this.base + this.starts[i]!, this.base + this.ends[i]!);
  }

  /** A copy of argument `i`, safe to keep after the command returns. */
  copy(i: number): Buffer {
    const start = this.base + this.starts[i]!;
    const end = this.base + this.ends[i]!;
    const out = Buffer.allocUnsafe(end - start);
    this.buf.copy(out, 0, start, end);
    return out;
  }

  /** A view of argument `i`, valid only until the command returns (the buffer is reused). */
  view(i: number): Buffer {
    return this.buf.subarray(this.base + this.starts[i]!, this.base + this.ends[i]!);
  }

  /** Byte `j` of argument `i` with ASCII upper case folded to lower (OR 0x20). */
  byteLower(i: number, j: number): number {
    return this.buf[this.base + this.starts[i]! + j]! | 0x20;
  }

  /** Whether argument `i` equals `lower` (ASCII lower-case), ignoring case, without allocating. */
  is(i: number, lower: string): boolean {
    const start = this.base + this.starts[i]!;
    if (this.ends[i]! - this.starts[i]! !== lower.length) return false;
    for (let j = 0; j < lower.length; j++) {
      // OR-ing 0x20 folds ASCII upper case onto lower case (and leaves digits alone).
      if ((this.buf[start + j]! | 0x20) !== lower.charCodeAt(j)) return false;
    }
    return true;
  }

  /** Argument `i` as a 64-bit-safe integer, or a CommandError with Redis's wording. */
  int(i: number): number {
    const s = this.str(i);
    if (!/^-?(0|[1-9][0-9]{0,18})$/.test(s)) {
      throw new CommandError("ERR value is not an integer or out of range");
    }
    const n = Number(s);
    if (!Number.isSafeInteger(n))
      throw new CommandError("ERR value is not an integer or out of range");
    return n;
  }

  /** The command name, lower-cased: how command tables and error messages name it. */
  name(): string {
    return this.str(0).toLowerCase();
  }
}
