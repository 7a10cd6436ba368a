// Safe rendering of field values for the fmt layer: never throws, survives cycles, throwing
// getters, proxies, Symbols and functions, truncates huge strings, and escapes terminal controls.

export interface RenderLimits {
  /** Strings longer than this are cut and marked with how much was dropped. */
  readonly maxString: number;
  /** Objects nested deeper than this render as "[Object]" / "[Array]". */
  readonly maxDepth: number;
  /** Entries per object, array, Map or Set before the rest is summarised. */
  readonly maxEntries: number;
}

export const DEFAULT_LIMITS: RenderLimits = { maxString: 4096, maxDepth: 5, maxEntries: 100 };

/** Cuts a string to the limit, marking the cut so nobody mistakes it for the whole value. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…[truncated ${s.length - max} chars]`;
}

// Characters that need escaping in a JSON string, plus surrogates (JSON.stringify escapes lone ones).
const JSON_UNSAFE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A JSON string literal. Most field strings are short and plain; scanning them and wrapping in
 * quotes is about 3x cheaper than JSON.stringify (it was a quarter of the JSON event profile),
 * and anything that needs escaping still goes through JSON.stringify.
 */
export function jsonString(s: string, limits: RenderLimits = DEFAULT_LIMITS): string {
  if (s.length > limits.maxString) return JSON.stringify(truncate(s, limits.maxString));
  if (s.length < 64) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
    }
    return `"${s}"`;
  }
  return JSON_UNSAFE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// C0/C1 controls (ESC starts terminal escapes), DEL, line/paragraph separators and bidi overrides.
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_G = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text shown unquoted (messages, names): control characters become visible escapes, spelled
 * as upstream's EscapeGuard spells them (`\x1b`, `\x07`, `\x08`, `\x0c`, `\x7f`, C1 as
 * `\u{9b}`). Upstream leaves newlines and other C0 controls raw; we escape those too (`\n`,
 * `\r`, `\x00`), so one event stays one line and cannot forge another.
 */
export function displayText(s: string, limits: RenderLimits = DEFAULT_LIMITS): string {
  const t = s.length <= limits.maxString ? s : truncate(s, limits.maxString);
  if (!UNSAFE.test(t)) return t;
  return t.replace(UNSAFE_G, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, "0")}`;
    return `\\u{${code.toString(16)}}`;
  });
}

/**
 * A string field value for the text formats, as Rust's `Debug` for str writes it: quoted,
 * with `\"`, `\\`, `\n`, `\r`, `\t`, `\0` and other controls as `\u{1b}`.
 */
export function debugString(s: string, limits: RenderLimits = DEFAULT_LIMITS): string {
  const t = s.length <= limits.maxString ? s : truncate(s, limits.maxString);
  if (!DEBUG_UNSAFE.test(t)) return `"${t}"`;
  return `"${t.replace(DEBUG_UNSAFE_G, (c) => {
    switch (c) {
      case '"':
        return '\\"';
      case "\\":
        return "\\\\";
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      case "\0":
        return "\\0";
      default:
        return `\\u{${c.charCodeAt(0).toString(16)}}`;
    }
  })}"`;
}

const DEBUG_UNSAFE = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const DEBUG_UNSAFE_G = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** An error as Rust's `Display` shows one: its message (the name when there is none). */
export function errorMessage(e: Error): string {
  const m = safeString(() => e.message, "");
  return m === "" ? safeString(() => e.name, "Error") : m;
}

/** The messages of an error's causes (`cause`, then its `cause`...), nearest first. */
export function errorSources(e: Error): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>([e]);
  let c: unknown;
  try {
    c = e.cause;
    while (c !== undefined && c !== null && !seen.has(c) && out.length < 32) {
      seen.add(c);
      out.push(c instanceof Error ? errorMessage(c) : safeString(() => String(c), "?"));
      c = c instanceof Error ? c.cause : undefined;
    }
  } catch {
    // A throwing getter ends the chain; what was read is kept.
  }
  return out;
}

function safeString(fn: () => string, fallback: string): string {
  try {
    return String(fn());
  } catch {
    return fallback;
  }
}

function functionText(f: unknown): string {
  const name = safeString(() => (f as { name: string }).name, "");
  return name === "" ? "[Function]" : `[Function ${name}]`;
}

/** Renders any value as valid JSON, within limits, without ever throwing. */
export function jsonValue(v: unknown, limits: RenderLimits = DEFAULT_LIMITS): string {
  return walk(v, 0, [], limits);
}

function walk(v: unknown, depth: number, stack: object[], limits: RenderLimits): string {
  switch (typeof v) {
    case "string":
      return jsonString(v, limits);
    case "number":
      return Number.isFinite(v) ? String(v) : `"${v}"`;
    case "bigint":
      return v.toString();
    case "boolean":
      return v ? "true" : "false";
    case "undefined":
      return "null";
    case "symbol":
      return jsonString(
        safeString(() => v.toString(), "Symbol()"),
        limits,
      );
    case "function":
      return jsonString(functionText(v), limits);
  }
  if (v === null) return "null";
  const o = v as object;
  if (stack.includes(o)) return '"[Circular]"';
  try {
    // As upstream's JSON writes an error: its Display, the message.
    if (o instanceof Error) return jsonString(errorMessage(o), limits);
    if (o instanceof Date) {
      return Number.isNaN(o.getTime()) ? '"Invalid Date"' : `"${o.toISOString()}"`;
    }
    if (ArrayBuffer.isView(o)) {
      return `"[${o.constructor.name}(${(o as { length?: number }).length ?? o.byteLength})]"`;
    }
    const isArray = Array.isArray(o);
    if (depth >= limits.maxDepth) return isArray ? '"[Array]"' : '"[Object]"';
    stack.push(o);
    try {
      if (isArray || o instanceof Set) {
        const items = isArray ? (o as unknown[]) : [...(o as Set<unknown>)];
        const n = Math.min(items.length, limits.maxEntries);
        const parts: string[] = [];
        for (let i = 0; i < n; i++) parts.push(walk(items[i], depth + 1, stack, limits));
        if (items.length > n) parts.push(`"…[${items.length - n} more]"`);
        return `[${parts.join(",")}]`;
      }
      const entries: [string, () => unknown][] = [];
      if (o instanceof Map) {
        for (const [k, val] of o)
          entries.push([typeof k === "string" ? k : safeString(() => String(k), "?"), () => val]);
      } else {
        const toJSON = (o as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === "function") {
          return walk(toJSON.call(o), depth + 1, stack, limits);
        }
        for (const k of Object.keys(o)) entries.push([k, () => (o as Record<string, unknown>)[k]]);
      }
      const n = Math.min(entries.length, limits.maxEntries);
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        const [k, get] = entries[i] as [string, () => unknown];
        let rendered: string;
        try {
          rendered = walk(get(), depth + 1, stack, limits);
        } catch (e) {
          rendered = jsonString(`[getter threw: ${safeString(() => String(e), "?")}]`, limits);
        }
        parts.push(`${jsonString(k, limits)}:${rendered}`);
      }
      if (entries.length > n) parts.push(`"…":"${entries.length - n} more"`);
      return `{${parts.join(",")}}`;
    } finally {
      stack.pop();
    }
  } catch {
    // Revoked proxies and hostile traps end up here.
    return '"[unrenderable]"';
  }
}

/**
 * Renders a value for the text formats, as tracing's Debug output would: strings quoted and
 * escaped, numbers and booleans bare, errors as "Name: message", objects as JSON.
 */
export function textValue(v: unknown, limits: RenderLimits = DEFAULT_LIMITS): string {
  switch (typeof v) {
    case "string":
      return debugString(v, limits);
    case "number":
    case "bigint":
    case "boolean":
      return String(v);
    case "symbol":
      return displayText(
        safeString(() => v.toString(), "Symbol()"),
        limits,
      );
    case "function":
      return displayText(functionText(v), limits);
    case "undefined":
      return "undefined";
  }
  if (v === null) return "null";
  try {
    if (v instanceof Error) return displayText(errorMessage(v), limits);
  } catch {
    return "[unrenderable]";
  }
  return jsonValue(v, limits);
}

const PLAIN_NAME = /^[\w.:-]+$/;

/** A field or span name for the text formats; unusual names are quoted. */
export function nameText(name: string): string {
  return PLAIN_NAME.test(name) ? name : debugString(name);
}

/** `instanceof` that survives revoked proxies and hostile `Symbol.hasInstance` chains. */
export function isError(v: unknown): v is Error {
  try {
    return v instanceof Error;
  } catch {
    return false;
  }
}
