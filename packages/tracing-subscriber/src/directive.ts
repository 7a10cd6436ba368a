// Parsing of filter directives in tracing-subscriber's syntax, `target[span{field=value}]=level`,
// comma-separated, a bare level as the default. Invalid directives are reported, never fatal.
import { LevelFilter, type Metadata, parseLevelFilter } from "@periscope/tracing";

/** One `field` or `field=value` matcher inside `{...}`. */
export interface FieldMatch {
  readonly name: string;
  /** undefined: the field only has to exist. */
  readonly value: number | boolean | string | undefined;
}

export interface Directive {
  /** The directive as written, for messages and tie-breaks. */
  readonly text: string;
  /** Prefix of the target (as tracing-subscriber, a plain string prefix); undefined matches all. */
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

const TARGET = /^[\w:.\-/@]+$/;

/** Splits on commas that are not inside `[...]`, `{...}` or quotes. */
function splitTop(spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '"') quote = !quote;
    else if (quote) continue;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      out.push(spec.slice(start, i));
      start = i + 1;
    }
  }
  out.push(spec.slice(start));
  return out;
}

function parseValue(raw: string): number | boolean | string {
  const v = raw.trim();
  if (v === "true") return true;
  if (v === "false") return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1);
  return v;
}

function parseFields(body: string): FieldMatch[] | string {
  const out: FieldMatch[] = [];
  for (const part of splitTop(body)) {
    const p = part.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    const name = (eq < 0 ? p : p.slice(0, eq)).trim();
    if (!/^[\w.]+$/.test(name)) return `bad field name "${name}"`;
    out.push({ name, value: eq < 0 ? undefined : parseValue(p.slice(eq + 1)) });
  }
  return out;
}

/** Parses one directive; returns a reason string when it is invalid. */
export function parseDirective(text: string): Directive | string {
  const t = text.trim();
  const bare = parseLevelFilter(t);
  if (bare !== undefined)
    return { text: t, target: undefined, span: undefined, fields: [], level: bare };

  let rest = t;
  let level: LevelFilter = LevelFilter.TRACE;
  // The level is after the last '=' that is outside brackets.
  const close = Math.max(rest.lastIndexOf("]"), rest.lastIndexOf("}"));
  const eq = rest.lastIndexOf("=");
  if (eq > close) {
    const lv = parseLevelFilter(rest.slice(eq + 1));
    if (lv === undefined) return `unknown level "${rest.slice(eq + 1)}"`;
    level = lv;
    rest = rest.slice(0, eq);
  }
  let target: string | undefined;
  let span: string | undefined;
  let fields: FieldMatch[] = [];
  const open = rest.indexOf("[");
  if (open >= 0) {
    if (!rest.endsWith("]")) return "unclosed '[' (expected target[span{field=value}]=level)";
    const inner = rest.slice(open + 1, -1);
    rest = rest.slice(0, open);
    const brace = inner.indexOf("{");
    if (brace >= 0) {
      if (!inner.endsWith("}")) return "unclosed '{' in span filter";
      const parsed = parseFields(inner.slice(brace + 1, -1));
      if (typeof parsed === "string") return parsed;
      fields = parsed;
      span = inner.slice(0, brace).trim() || undefined;
    } else {
      span = inner.trim() || undefined;
    }
    if (span !== undefined && !/^[^\s[\]{}=,]+$/.test(span)) return `bad span name "${span}"`;
  }
  if (rest !== "") {
    if (!TARGET.test(rest)) return `bad target "${rest}"`;
    target = rest;
  }
  if (target === undefined && span === undefined && fields.length === 0) return "empty directive";
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
      // so that the good directives after a bad one still apply.
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

/** A directive that needs span context or field values is decided at run time. */
export function isDynamic(d: Directive): boolean {
  return d.span !== undefined || d.fields.some((f) => f.value !== undefined);
}

/**
 * Most specific first, as tracing-subscriber orders them: a longer target wins, then having a
 * span name, then more field matchers; the text breaks ties so the order is total.
 */
export function bySpecificity(a: Directive, b: Directive): number {
  const at = a.target?.length ?? -1;
  const bt = b.target?.length ?? -1;
  if (at !== bt) return bt - at;
  const as = a.span === undefined ? 0 : 1;
  const bs = b.span === undefined ? 0 : 1;
  if (as !== bs) return bs - as;
  if (a.fields.length !== b.fields.length) return b.fields.length - a.fields.length;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

/** Whether a directive's target and field names apply to this callsite (ignoring span scope). */
export function matchesStatic(d: Directive, meta: Metadata): boolean {
  if (d.target !== undefined && !meta.target.startsWith(d.target)) return false;
  for (const f of d.fields) if (!meta.fields.includes(f.name)) return false;
  return true;
}

/** Whether a field value satisfies a matcher: numbers and booleans exactly, else as text. */
export function valueMatches(m: FieldMatch, v: unknown): boolean {
  if (m.value === undefined) return true;
  if (typeof m.value === "number") {
    return (typeof v === "number" || typeof v === "bigint") && Number(v) === m.value;
  }
  if (typeof m.value === "boolean") return v === m.value;
  if (typeof v === "string") return v === m.value;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") {
    return String(v) === m.value;
  }
  return false;
}
