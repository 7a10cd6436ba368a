// Field values to OpenTelemetry attribute values: primitives pass through, the rest is rendered
// safely (bigint beyond 2^53 as text, objects as bounded JSON, cycles and throwing getters survive).
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { Fields, FieldValue } from "@periscope/tracing";
import { isError } from "./errors.ts";

/** Longest JSON rendering kept for an object-valued field; the SDK's own length limit still applies. */
const MAX_JSON = 4096;

/** Field names with a meaning for OpenTelemetry itself rather than as attributes. */
export const OTEL_NAME = "otel.name";
export const OTEL_KIND = "otel.kind";
export const OTEL_STATUS_CODE = "otel.status_code";
export const OTEL_STATUS_MESSAGE = "otel.status_message";
export const OTEL_STATUS_DESCRIPTION = "otel.status_description";
export const ERROR = "error";

export function isSpecial(name: string): boolean {
  return (
    name === ERROR ||
    (name.charCodeAt(0) === 111 /* o */ &&
      (name === OTEL_NAME ||
        name === OTEL_KIND ||
        name === OTEL_STATUS_CODE ||
        name === OTEL_STATUS_MESSAGE ||
        name === OTEL_STATUS_DESCRIPTION))
  );
}

/** One field value as an attribute value, or undefined when it has nothing to say. */
export function toAttribute(v: FieldValue): AttributeValue | undefined {
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
      return v;
    case "bigint":
      // OTLP ints are int64: keep exact values exact, as numbers when they fit a double.
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
    case "undefined":
      return undefined;
    case "symbol":
      return v.toString();
    case "function":
      try {
        return `[function ${v.name || "anonymous"}]`;
      } catch {
        return "[function]";
      }
    default:
      if (v === null) return undefined;
      if (isError(v)) return errorText(v);
      try {
        if (Array.isArray(v) && isHomogeneous(v)) return v as AttributeValue;
      } catch {
        // A revoked proxy throws even from Array.isArray.
        return "[unrenderable]";
      }
      return json(v);
  }
}

/** Every ordinary field as an attribute; the OpenTelemetry conventions are handled by the caller. */
export function fieldsToAttributes(fields: Fields, into: Attributes = {}): Attributes {
  for (const k in fields) {
    if (isSpecial(k)) continue;
    const a = toAttribute(fields[k]);
    if (a !== undefined) into[k] = a;
  }
  return into;
}

function isHomogeneous(xs: unknown[]): boolean {
  if (xs.length === 0) return true;
  const t = typeof xs[0];
  if (t !== "string" && t !== "number" && t !== "boolean") return false;
  for (const x of xs) if (typeof x !== t) return false;
  return true;
}

export function errorText(e: Error): string {
  try {
    return `${e.name}: ${e.message}`;
  } catch {
    return "[error]";
  }
}

function json(v: object): string {
  try {
    const seen = new WeakSet<object>();
    const out = JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === "bigint") return x.toString();
      if (typeof x === "object" && x !== null) {
        if (seen.has(x)) return "[circular]";
        seen.add(x);
      }
      return x;
    });
    if (out === undefined) return String(v);
    return out.length > MAX_JSON ? `${out.slice(0, MAX_JSON)}…` : out;
  } catch {
    try {
      return Object.prototype.toString.call(v);
    } catch {
      return "[object]";
    }
  }
}
