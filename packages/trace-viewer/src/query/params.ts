// Parses the query parameters of Jaeger's HTTP APIs: Go duration strings, microsecond and
// RFC 3339 times, and the tag filters the Jaeger UI sends (a JSON map, or repeated key:value).

export class QueryParamError extends Error {
  readonly code = "PERISCOPE_VIEWER_BAD_PARAM";
}

const UNIT_US: Record<string, number> = {
  ns: 0.001,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1000,
  s: 1e6,
  m: 60e6,
  h: 3600e6,
  // Not Go units, but the Jaeger UI's lookback menu offers "2d" and "7d".
  d: 86400e6,
  w: 604800e6,
};

/** A Go duration ("1.2s", "100ms", "1h30m") in microseconds. */
export function parseDuration(s: string, param: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  const body = s.startsWith("+") ? s.slice(1) : s;
  re.lastIndex = 0;
  while ((m = re.exec(body)) !== null) {
    total += Number(m[1]) * (UNIT_US[m[2]!] ?? 0);
    pos = re.lastIndex;
  }
  if (body === "0") return 0;
  if (pos === 0 || pos !== body.length) {
    throw new QueryParamError(
      `unable to parse param '${param}': expected a duration such as 100ms, 1.5s or 2h`,
    );
  }
  return Math.round(total);
}

/** A decimal integer parameter (Jaeger's µs and ms times). */
export function parseInteger(s: string, param: string): number {
  if (!/^-?\d{1,19}$/.test(s))
    throw new QueryParamError(`unable to parse param '${param}': not an integer`);
  return Number(s);
}

/** An RFC 3339 time, as microseconds since the epoch. */
export function parseRfc3339(s: string, param: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.exec(s);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) {
    throw new QueryParamError(
      `malformed parameter ${param}: expected an RFC 3339 time such as 2024-01-02T15:04:05Z`,
    );
  }
  const frac = m[2] ? Number(`0${m[2]}`) : 0;
  return ms * 1000 + Math.floor(frac * 1e6);
}

/** Tag filters: `tags={"k":"v"}` (any number of times) and `tag=k:v` (any number of times). */
export function parseTags(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of params.getAll("tags")) {
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      throw new QueryParamError("malformed 'tags' parameter: expected a JSON object of strings");
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new QueryParamError("malformed 'tags' parameter: expected a JSON object of strings");
    }
    for (const [k, v] of Object.entries(obj))
      out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  for (const raw of params.getAll("tag")) {
    const i = raw.indexOf(":");
    if (i <= 0) throw new QueryParamError("malformed 'tag' parameter: expected key:value");
    out[raw.slice(0, i)] = raw.slice(i + 1);
  }
  return out;
}

/**
 * A trace id from a URL: 1 to 32 hex digits (left-padded), or the base64 of its 16 (or 8) bytes
 * as protobuf's JSON mapping writes bytes (Jaeger's api_v3 gateway and its clients do), as 16
 * bytes. Hex wins where a string reads both ways.
 */
export function parseTraceId(s: string): Buffer | null {
  if (/^[0-9a-fA-F]{1,32}$/.test(s)) return Buffer.from(s.padStart(32, "0"), "hex");
  if (!/^[A-Za-z0-9+/_-]{11,24}={0,2}$/.test(s)) return null;
  const b = Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (b.length === 16) return b;
  if (b.length === 8) return Buffer.concat([Buffer.alloc(8), b]);
  return null;
}
