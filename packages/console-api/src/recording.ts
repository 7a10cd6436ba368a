// The recording file format shared by the recorder (console-subscriber) and replay (console).
// A magic line, then each Update as a varint length prefix and its protobuf bytes; Update.now is the clock.
import { Update } from "./generated/instrument.ts";

/** First bytes of every recording; the trailing version digit changes if the framing does. */
export const RECORDING_MAGIC = "PERISCOPE-CONSOLE-RECORDING 1\n";
const MAGIC_BYTES = new TextEncoder().encode(RECORDING_MAGIC);

/** Largest frame a reader accepts; a bigger length means a corrupt file, not a big update. */
export const MAX_RECORDING_FRAME = 64 * 1024 * 1024;

/** The header to write once at the start of a file. */
export function recordingHeader(): Uint8Array {
  return MAGIC_BYTES.slice();
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Frames already-encoded Update bytes. */
export function frameEncodedUpdate(bytes: Uint8Array): Uint8Array {
  const len = varint(bytes.length);
  const out = new Uint8Array(len.length + bytes.length);
  out.set(len, 0);
  out.set(bytes, len.length);
  return out;
}

/** Encodes and frames one Update. */
export function encodeRecordingFrame(update: Update): Uint8Array {
  return frameEncodedUpdate(Update.encode(update).finish());
}

/**
 * Incremental reader: feed chunks as they arrive (a file still being written, a stream), get
 * whole Updates back. An incomplete trailing frame waits for more bytes instead of failing.
 * Damage stops decoding but keeps every Update before it: check `error` (it has a `code`).
 */
export class RecordingDecoder {
  #buf: Uint8Array = new Uint8Array(0);
  #sawHeader = false;
  error: (Error & { code: string }) | undefined;

  push(chunk: Uint8Array): Update[] {
    if (this.error) return [];
    const out: Update[] = [];
    try {
      this.#decode(chunk, out);
    } catch (e) {
      this.error = e as Error & { code: string };
      this.#buf = new Uint8Array(0);
    }
    return out;
  }

  #decode(chunk: Uint8Array, out: Update[]): void {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf, 0);
    merged.set(chunk, this.#buf.length);
    this.#buf = merged;
    let pos = 0;
    if (!this.#sawHeader) {
      if (this.#buf.length < MAGIC_BYTES.length) {
        if (!isPrefix(this.#buf, MAGIC_BYTES)) throw notARecording();
        return;
      }
      if (!isPrefix(MAGIC_BYTES, this.#buf)) throw notARecording();
      this.#sawHeader = true;
      pos = MAGIC_BYTES.length;
    }
    for (;;) {
      let len = 0;
      let shift = 1;
      let p = pos;
      let complete = false;
      while (p < this.#buf.length && p - pos < 5) {
        const b = this.#buf[p++] as number;
        len += (b & 0x7f) * shift;
        shift *= 128;
        if (b < 0x80) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (p - pos >= 5) throw corrupt("bad frame length");
        break;
      }
      if (len > MAX_RECORDING_FRAME) throw corrupt(`frame of ${len} bytes`);
      if (p + len > this.#buf.length) break;
      let update: Update;
      try {
        update = Update.decode(this.#buf.subarray(p, p + len));
      } catch (e) {
        this.#buf = this.#buf.slice(pos);
        throw corrupt(`undecodable Update: ${(e as Error).message}`);
      }
      out.push(update);
      pos = p + len;
    }
    this.#buf = this.#buf.slice(pos);
  }

  /** Bytes received but not yet forming a whole frame (a truncated tail if the file ended). */
  get pendingBytes(): number {
    return this.#buf.length;
  }
}

/** Decodes a whole recording held in memory; `truncatedBytes` counts an incomplete last frame. */
export function decodeRecording(bytes: Uint8Array): {
  updates: Update[];
  error: (Error & { code: string }) | undefined;
  truncatedBytes: number;
} {
  const d = new RecordingDecoder();
  const updates = d.push(bytes);
  return { updates, error: d.error, truncatedBytes: d.pendingBytes };
}

function isPrefix(short: Uint8Array, long: Uint8Array): boolean {
  for (let i = 0; i < short.length; i++) if (short[i] !== long[i]) return false;
  return true;
}

function notARecording(): Error {
  const e = new Error(
    "PERISCOPE_RECORDING_FORMAT: not a Periscope console recording (bad header); record one with PERISCOPE_CONSOLE_RECORD_PATH",
  );
  (e as Error & { code: string }).code = "PERISCOPE_RECORDING_FORMAT";
  return e;
}

function corrupt(detail: string): Error {
  const e = new Error(
    `PERISCOPE_RECORDING_CORRUPT: the recording is damaged (${detail}); replay stops at the last whole update`,
  );
  (e as Error & { code: string }).code = "PERISCOPE_RECORDING_CORRUPT";
  return e;
}
