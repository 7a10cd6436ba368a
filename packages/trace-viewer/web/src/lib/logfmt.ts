// Parses the search form's tag filter, written in logfmt (`error=true http.status_code=500
// msg="two words"`), into the key/value object Jaeger's /api/traces takes as `tags=` JSON.

export class LogfmtError extends Error {}

export function parseLogfmt(input: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const n = input.length;
  const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";
  while (i < n) {
    while (i < n && isSpace(input[i])) i++;
    if (i >= n) break;
    let key = "";
    while (i < n && input[i] !== "=" && !isSpace(input[i])) key += input[i++];
    if (key === "") throw new LogfmtError(`expected a key at column ${i + 1}`);
    if (input[i] !== "=") {
      // A bare key means "true", as logfmt defines it.
      out[key] = "true";
      continue;
    }
    i++;
    let value = "";
    if (input[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = input[i++];
        if (c === "\\" && i < n) value += input[i++];
        else if (c === '"') {
          closed = true;
          break;
        } else value += c;
      }
      if (!closed) throw new LogfmtError(`unterminated quote in the value of "${key}"`);
    } else {
      while (i < n && !isSpace(input[i])) value += input[i++];
    }
    out[key] = value;
  }
  return out;
}

/** Writes an object back as logfmt, quoting values that need it. */
export function toLogfmt(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => (/^[^\s"=]+$/.test(v) ? `${k}=${v}` : `${k}=${JSON.stringify(v)}`))
    .join(" ");
}
