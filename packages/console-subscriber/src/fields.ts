// Turns tracing field values into console-api Fields. Values are hostile: strings are capped and
// anything that is not a plain scalar is rendered defensively, never by calling user code that can throw.
import type { Field } from "@periscope/console-api";
import type { FieldValue } from "@periscope/tracing";

/** Longest string value sent; the rest is cut and marked, so one field cannot bloat an Update. */
export const MAX_FIELD_CHARS = 1024;
const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);

export function cap(s: string): string {
  return s.length <= MAX_FIELD_CHARS ? s : `${s.slice(0, MAX_FIELD_CHARS)}…`;
}

/** A Field with the value in the oneof member tokio's console-subscriber would pick. */
export function toField(name: string, value: FieldValue, metaId: bigint): Field {
  const f: Field = {
    strName: name,
    nameIdx: undefined,
    debugVal: undefined,
    strVal: undefined,
    u64Val: undefined,
    i64Val: undefined,
    boolVal: undefined,
    metadataId: { id: metaId },
  };
  setValue(f, value);
  return f;
}

export function setValue(f: Field, value: FieldValue): void {
  switch (typeof value) {
    case "string":
      f.strVal = cap(value);
      return;
    case "boolean":
      f.boolVal = value;
      return;
    case "number":
      if (Number.isSafeInteger(value)) {
        if (value >= 0) f.u64Val = BigInt(value);
        else f.i64Val = BigInt(value);
      } else f.debugVal = String(value);
      return;
    case "bigint":
      if (value >= 0n && value <= U64_MAX) f.u64Val = value;
      else if (value < 0n && value >= I64_MIN) f.i64Val = value;
      else f.debugVal = cap(value.toString());
      return;
    default:
      f.debugVal = debugString(value);
  }
}

/** A debug rendering that never throws and never runs getters or toString of user objects. */
export function debugString(value: FieldValue): string {
  try {
    if (value === null) return "null";
    if (value === undefined) return "undefined";
    if (typeof value === "symbol") return cap(value.toString());
    if (typeof value === "function") return `[Function ${cap(value.name || "anonymous")}]`;
    if (value instanceof Error) return cap(`${value.name}: ${value.message}`);
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    const ctor = proto?.constructor?.name;
    return `[${typeof ctor === "string" ? cap(ctor) : "Object"}]`;
  } catch {
    return "[unrenderable]";
  }
}

/** Numeric field as a non-negative integer, or undefined (for loc.line, task.id in waker events...). */
export function asU64(value: FieldValue): bigint | undefined {
  if (typeof value === "bigint") return value >= 0n && value <= U64_MAX ? value : undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}
