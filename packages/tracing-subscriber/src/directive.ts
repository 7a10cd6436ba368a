// Parsing of filter directives as tracing-subscriber 0.3 parses them, `target[span{field=value}]=level`,
// with its leniency (`crate2=` is trace, `warning` is a target), ordering and value matching.
import { LevelFilter, type Metadata } from "@periscope/tracing";
import { jsonValue } from "./render.ts";

/** What a field's value must be: tracing-subscriber tries bool, u64, i64, f64, then a regex. */
export type ValueMatch =
  | { readonly kind: "bool"; readonly value: boolean; readonly text: string }
  | { readonly kind: "int"; readonly value: bigint; readonly text: string }
  | { readonly kind: "f64"; readonly value: number; readonly text: string }
  | { readonly kind: "nan"; readonly text: string }
  | { readonly kind: "pattern"; readonly regex: RegExp; readonly text: string };

/** One `field` or `field=value` matcher inside `{...}`. */
export interface FieldMatch {
  readonly name: string;
  /** undefined: the field only has to exist. */
  readonly value: ValueMatch | undefined;
}

export interface Directive {
  /** The directive as written, for messages. */
  readonly text: string;
  /** Prefix of the target (a plain string prefix, as upstream); undefined matches all. */
  readonly target: string | undefined;
  /** Span name the directive is scoped to; undefined when none. */
  readonly span: string | undefined;
  readonly fields: readonly FieldMatch[];
  readonly level: LevelFilter;
}

export interface ParseResult {
  readonly directives: Directive[];
  /** Each invalid directive with the reason it was ignored. */
  readonly errors: { directive: string; reason: string }[];
}

/**
 * Splits on commas outside `[...]` and `{...}`. Upstream splits on every comma, which breaks
 * `[span{a=1,b=2}]` apart; keeping bracketed commas is the one way to write several fields.
 */
function splitTop(spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === "[" || c === "{") depth++;
    else if ((c === "]" || c === "}") && depth > 0) depth--;
    else if (c === "," && depth === 0) {
      out.push(spec.slice(start, i));
      start = i + 1;
    }
  }
  out.push(spec.slice(start));
  return out;
}

const LEVEL_NAMES: Record<string, LevelFilter> = {
  error: LevelFilter.ERROR,
  warn: LevelFilter.WARN,
  info: LevelFilter.INFO,
  debug: LevelFilter.DEBUG,
  trace: LevelFilter.TRACE,
  off: LevelFilter.OFF,
};
const BY_NUMBER = [
  LevelFilter.OFF,
  LevelFilter.ERROR,
  LevelFilter.WARN,
  LevelFilter.INFO,
  LevelFilter.DEBUG,
  LevelFilter.TRACE,
];

/** tracing-core's `LevelFilter::from_str`: 0-5, or a name in any case. */
export function parseLevel(s: string): LevelFilter | undefined {
  if (/^\+?\d+$/.test(s)) return BY_NUMBER[Number(s)];
  return LEVEL_NAMES[s.toLowerCase()];
}

const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
// Rust's f64 grammar: decimal with optional exponent, or inf/infinity/nan, any case, signed.
const F64 = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/** A value as upstream's `ValueMatch::parse_regex`: the first of bool, u64, i64, f64, regex. */
function parseValue(s: string): ValueMatch | string {
  if (s === "true" || s === "false") return { kind: "bool", value: s === "true", text: s };
  if (/^\+?\d+$/.test(s) && BigInt(s) <= U64_MAX) return { kind: "int", value: BigInt(s), text: s };
  if (/^-\d+$/.test(s) && BigInt(s) >= I64_MIN) return { kind: "int", value: BigInt(s), text: s };
  if (F64.test(s)) {
    const v = /inf/i.test(s) ? (s.startsWith("-") ? -Infinity : Infinity) : Number(s);
    return Number.isNaN(v) ? { kind: "nan", text: s } : { kind: "f64", value: v, text: s };
  }
  try {
    // Anchored: upstream's patterns match the whole value.
    return { kind: "pattern", regex: new RegExp(`^(?:${s})$`, "u"), text: s };
  } catch (e) {
    return `invalid field value regex "${s}": ${(e as Error).message}`;
  }
}

function parseField(s: string): FieldMatch | string {
  // As upstream: the name is before the first '=', the value up to the next one.
  const parts = s.split("=");
  const name = parts[0] ?? "";
  if (parts.length === 1) return { name, value: undefined };
  const value = parseValue(parts[1] ?? "");
  return typeof value === "string" ? value : { name, value };
}

type State = "start" | "levelOrTarget" | "span" | "field" | "fields" | "target" | "level";

/** Parses one directive with upstream's state machine; returns a reason string when invalid. */
export function parseDirective(text: string): Directive | string {
  const t = text.trim();
  let target: string | undefined;
  let span: string | undefined;
  const fields: FieldMatch[] = [];
  let level: LevelFilter = LevelFilter.TRACE;
  let state: State = "start";
  let mark = 0;
  const bad = (why: string): string => `${why} (expected target[span{field=value}]=level)`;
  for (let i = 0; i < t.length; i++) {
    const c = t[i] as string;
    switch (state) {
      case "start":
        if (c === "[") {
          state = "span";
          mark = i + 1;
        } else if (c !== "-" && c !== ":" && c !== "_" && !/[\p{L}\p{N}]/u.test(c)) {
          return bad(`unexpected '${c}' at the start`);
        } else {
          state = "levelOrTarget";
          mark = i;
        }
        break;
      case "levelOrTarget":
        if (c === "=") {
          target = t.slice(mark, i);
          state = "level";
          mark = i + 1;
        } else if (c === "[") {
          target = t.slice(mark, i);
          state = "span";
          mark = i + 1;
        }
        break;
      case "span":
        if (c === "]") {
          span = t.slice(mark, i);
          state = "target";
        } else if (c === "{") {
          span = i === mark ? undefined : t.slice(mark, i);
          state = "field";
          mark = i + 1;
        }
        break;
      case "field":
        if (c === "}" || c === ",") {
          if (i === mark) return bad("empty field matcher");
          const f = parseField(t.slice(mark, i));
          if (typeof f === "string") return f;
          fields.push(f);
          state = c === "}" ? "fields" : "field";
          mark = i + 1;
        }
        break;
      case "fields":
        if (c !== "]") return bad(`unexpected '${c}' after '}'`);
        state = "target";
        break;
      case "target":
        if (c !== "=") return bad(`unexpected '${c}' after ']'`);
        state = "level";
        mark = i + 1;
        break;
      case "level":
        break;
    }
  }
  switch (state) {
    case "levelOrTarget": {
      // A lone word is a level if it parses as one, else a target at every level.
      const word = t.slice(mark);
      const lv = parseLevel(word);
      if (lv !== undefined) level = lv;
      else target = word;
      break;
    }
    case "level": {
      const word = t.slice(mark);
      if (word !== "") {
        const lv = parseLevel(word);
        if (lv === undefined) return `unknown level "${word}"`;
        level = lv;
      }
      break;
    }
    case "target":
      break;
    case "start":
      return "empty directive";
    default:
      return bad(state === "span" ? "unclosed '['" : "unclosed '{'");
  }
  return { text: t, target, span, fields, level };
}

/** Parses a comma-separated directive list; invalid directives are collected, not thrown. */
export function parseDirectives(spec: string): ParseResult {
  const directives: Directive[] = [];
  const errors: { directive: string; reason: string }[] = [];
  for (const part of splitTop(spec)) {
    if (part.trim() === "") continue;
    const d = parseDirective(part);
    if (typeof d !== "string") {
      directives.push(d);
    } else if (part.includes(",")) {
      // An unclosed bracket swallowed the rest: judge each comma-separated piece on its own,
      // as upstream's plain split would, so the good directives after a bad one still apply.
      for (const piece of part.split(",")) {
        if (piece.trim() === "") continue;
        const p = parseDirective(piece);
        if (typeof p === "string") errors.push({ directive: piece.trim(), reason: p });
        else directives.push(p);
      }
    } else {
      errors.push({ directive: part.trim(), reason: d });
    }
  }
  return { directives, errors };
}

/** Upstream's `is_dynamic`: a span name or any field matcher (even a bare field name). */
export function isDynamic(d: Directive): boolean {
  return d.span !== undefined || d.fields.length > 0;
}

/** Upstream's `is_static`: no span name and no field values; such a directive also filters statically. */
export function isStatic(d: Directive): boolean {
  return d.span === undefined && d.fields.every((f) => f.value === undefined);
}

function cmpStr(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

function fieldKey(f: FieldMatch): string {
  return `${f.value === undefined ? 0 : 1}${f.name}=${f.value?.text ?? ""}`;
}

/**
 * Upstream's order, most specific first: a longer target, then having a span name, then more
 * fields, then target, span and fields as text. Two directives that compare equal are the
 * same directive, and the later one replaces the earlier (`info,warn` is warn).
 */
export function bySpecificity(a: Directive, b: Directive): number {
  const at = a.target === undefined ? -1 : a.target.length;
  const bt = b.target === undefined ? -1 : b.target.length;
  if (at !== bt) return bt - at;
  const as = a.span === undefined ? 0 : 1;
  const bs = b.span === undefined ? 0 : 1;
  if (as !== bs) return bs - as;
  if (a.fields.length !== b.fields.length) return b.fields.length - a.fields.length;
  const c = cmpStr(b.target, a.target) || cmpStr(b.span, a.span);
  if (c !== 0) return c;
  const af = a.fields.map(fieldKey).join(",");
  const bf = b.fields.map(fieldKey).join(",");
  return af === bf ? 0 : af < bf ? 1 : -1;
}

/** Sorted most specific first, a later duplicate replacing an earlier one. */
export function directiveSet(ds: readonly Directive[]): Directive[] {
  const out: Directive[] = [];
  for (const d of ds) {
    const i = out.findIndex((o) => bySpecificity(o, d) === 0);
    if (i >= 0) out[i] = d;
    else out.push(d);
  }
  return out.sort(bySpecificity);
}

/** Upstream's static `cares_about`: the target prefix, and for events the field names. */
export function staticCares(
  d: Directive,
  meta: Metadata,
  names: readonly string[] = meta.fields,
): boolean {
  if (d.target !== undefined && !meta.target.startsWith(d.target)) return false;
  if (meta.kind === "event") for (const f of d.fields) if (!names.includes(f.name)) return false;
  return true;
}

/** Upstream's dynamic `cares_about`: target prefix, span name, and every field declared. */
export function dynamicCares(d: Directive, meta: Metadata): boolean {
  if (d.target !== undefined && !meta.target.startsWith(d.target)) return false;
  if (d.span !== undefined && d.span !== meta.name) return false;
  for (const f of d.fields) if (!meta.fields.includes(f.name)) return false;
  return true;
}

/**
 * Whether a recorded value satisfies a matcher, as upstream's visitor: booleans exactly,
 * integers as u64/i64, other numbers within f64::EPSILON, NaN with NaN; a pattern matches a
 * string itself or its quoted (Debug) form, and other values by their JSON text.
 */
export function valueMatches(m: ValueMatch, v: unknown): boolean {
  switch (m.kind) {
    case "bool":
      return v === m.value;
    case "int":
      if (typeof v === "bigint") return v === m.value;
      return typeof v === "number" && Number.isInteger(v) && Number(m.value) === v;
    case "f64":
      return typeof v === "number" && Math.abs(v - m.value) < Number.EPSILON;
    case "nan":
      return typeof v === "number" && Number.isNaN(v);
    case "pattern":
      if (typeof v === "string") return m.regex.test(v) || m.regex.test(JSON.stringify(v));
      if (
        v === undefined ||
        typeof v === "number" ||
        typeof v === "bigint" ||
        typeof v === "boolean"
      )
        return false;
      return m.regex.test(v instanceof Error ? `${v.name}: ${v.message}` : jsonValue(v));
  }
}

const LEVEL_TEXT = ["trace", "debug", "info", "warn", "error", "off"];

/**
 * A directive as upstream's Display writes it: `target[span{field=value}]=level`, parts left
 * out when absent; as a static directive (`asStatic`) only target and field names.
 */
export function formatDirective(d: Directive, asStatic = false): string {
  let s = d.target ?? "";
  const fields = d.fields
    .map((f) => (asStatic || f.value === undefined ? f.name : `${f.name}=${f.value.text}`))
    .join(",");
  const span = asStatic ? undefined : d.span;
  if (span !== undefined || fields !== "")
    s += `[${span ?? ""}${fields === "" ? "" : `{${fields}}`}]`;
  const level = LEVEL_TEXT[d.level] ?? "trace";
  return s === "" ? level : `${s}=${level}`;
}
