// An API answer as a status and a lazily produced sequence of JSON text pieces, so a large
// answer is written chunk by chunk (never one string that could pass V8's length limit), and
// the limits that bound what one request may cost.

export interface Answer {
  status: number;
  /** The body's JSON text in pieces; produced as it is consumed. */
  body: Iterable<string>;
}

/** What one request may cost. */
export interface QueryLimits {
  /** Most spans one answer holds, over all its traces (each trace keeps at least one). */
  maxSpans: number;
  /** Most spans of one trace in a search answer (search lists need summaries, not every span). */
  searchSpansPerTrace: number;
  /** Most trace ids one request may look up (after removing repeats). */
  maxTraceIds: number;
  /** Largest move of the clock-skew adjuster (µs); 0, Jaeger's default, moves nothing and
   * warns instead (`--max-clock-skew-adjustment`). */
  maxClockSkewAdjustUs: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxSpans: 250_000,
  searchSpansPerTrace: 10_000,
  maxTraceIds: 100,
  maxClockSkewAdjustUs: 0,
};

/** Characters per written chunk: large enough to amortise a write, small enough to stay cheap. */
export const CHUNK_CHARS = 256 * 1024;

/** Escaping <, > and & keeps hostile span strings inert even if a browser sniffs the body. */
export function escapeJson(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, escapeChar);
}

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** JSON of one value, escaped. */
export function jsonText(value: unknown): string {
  return escapeJson(JSON.stringify(value));
}

export function json(status: number, value: unknown, indent?: number): Answer {
  return { status, body: [escapeJson(JSON.stringify(value, null, indent))] };
}

/**
 * Joins small pieces of plain JSON into escaped chunks of about CHUNK_CHARS. Escaping whole
 * chunks is the same as escaping each piece: the escaped characters occur only inside strings.
 */
export function* chunked(pieces: Iterable<string>, size = CHUNK_CHARS): Generator<string> {
  let buf = "";
  for (const p of pieces) {
    buf += p;
    if (buf.length >= size) {
      yield escapeJson(buf);
      buf = "";
    }
  }
  if (buf) yield escapeJson(buf);
}
