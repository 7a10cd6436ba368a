// Client-side RESP2 frames: the values a server sends back, a decoder that reads them from a
// growing buffer, and the encoder for commands. (The server has its own, allocation-free parser
// and writer in parse.ts and reply.ts; a client handles far fewer frames and favours clarity.)

/** A frame in the Redis protocol, as tokio's mini-redis `Frame` enum. */
export type Frame =
  | { type: "simple"; value: string }
  | { type: "error"; value: string }
  | { type: "integer"; value: number }
  | { type: "bulk"; value: Buffer }
  | { type: "null" }
  | { type: "array"; value: Frame[] };

/** The buffer does not hold a whole frame yet; read more and try again. */
export const INCOMPLETE = Symbol("incomplete");

/** The bytes are not valid RESP2: the connection cannot be used any more. */
export class FrameError extends Error {}

/**
 * Decodes one frame starting at `pos`. Returns the frame and the position after it, or
 * INCOMPLETE when more bytes are needed. Throws FrameError on invalid data.
 */
export function decodeFrame(
  buf: Buffer,
  pos: number,
  end: number,
): { frame: Frame; next: number } | typeof INCOMPLETE {
  if (pos >= end) return INCOMPLETE;
  const nl = buf.indexOf("\r\n", pos + 1, "latin1");
  if (nl < 0 || nl + 2 > end) return INCOMPLETE;
  const type = buf[pos];
  const line = buf.toString("latin1", pos + 1, nl);
  const after = nl + 2;
  switch (type) {
    case 0x2b: // +
      return { frame: { type: "simple", value: line }, next: after };
    case 0x2d: // -
      return { frame: { type: "error", value: line }, next: after };
    case 0x3a: // :
      return { frame: { type: "integer", value: toInt(line) }, next: after };
    case 0x24: {
      // $
      const len = toInt(line);
      if (len === -1) return { frame: { type: "null" }, next: after };
      if (len < 0) throw new FrameError(`invalid bulk length ${len}`);
      if (end - after < len + 2) return INCOMPLETE;
      // Copy: the caller's buffer will be reused for later reads.
      const value = Buffer.from(buf.subarray(after, after + len));
      return { frame: { type: "bulk", value }, next: after + len + 2 };
    }
    case 0x2a: {
      // *
      const len = toInt(line);
      if (len === -1) return { frame: { type: "null" }, next: after };
      if (len < 0) throw new FrameError(`invalid array length ${len}`);
      const items: Frame[] = [];
      let at = after;
      for (let i = 0; i < len; i++) {
        const r = decodeFrame(buf, at, end);
        if (r === INCOMPLETE) return INCOMPLETE;
        items.push(r.frame);
        at = r.next;
      }
      return { frame: { type: "array", value: items }, next: at };
    }
    default:
      throw new FrameError(`invalid frame type byte 0x${(type ?? 0).toString(16)}`);
  }
}

function toInt(text: string): number {
  if (!/^-?[0-9]{1,16}$/.test(text)) throw new FrameError(`invalid integer "${text.slice(0, 32)}"`);
  return Number(text);
}

/** Encodes a command as an array of bulk strings, the only form clients send. */
export function encodeCommand(parts: ReadonlyArray<string | Uint8Array>): Buffer {
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const bytes = typeof p === "string" ? Buffer.from(p, "utf8") : p;
    chunks.push(Buffer.from(`$${bytes.length}\r\n`), Buffer.from(bytes), Buffer.from("\r\n"));
  }
  return Buffer.concat(chunks);
}
