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

/** Text shown unquoted (messages, names): control characters become visible escapes. */
export function displayText(s: string, limits: RenderLimits = DEFAULT_LIMITS): string {
  const t = s.length <= limits.maxString ? s : truncate(s, limits.maxString);
  if (!UNSAFE.test(t)) return t;
  return t.replace(UNSAFE_G, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    return `\\u{${c.charCodeAt(0).toString(16)}}`;
  });
}

function safeString(fn: () => string, fallback: string): string {
  try {
    return String(fn());
  } catch {
    return fallback;
  }
}

function errorText(e: Error): string {
  const name = safeString(() => e.name, "Error");
  const message = safeString(() => e.message, "");
  return message === "" ? name : `${name}: ${message}`;
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
    if (o instanceof Error) return jsonString(errorText(o), limits);
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
      return jsonString(v, limits);
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
    if (v instanceof Error) return displayText(errorText(v), limits);
  } catch {
    return "[unrenderable]";
  }
  return jsonValue(v, limits);
}

const PLAIN_NAME = /^[\w.:-]+$/;

/** A field or span name for the text formats; unusual names are quoted. */
export function nameText(name: string): string {
  return PLAIN_NAME.test(name) ? name : JSON.stringify(name);
}
