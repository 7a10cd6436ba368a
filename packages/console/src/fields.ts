// Wire fields to display strings: names resolved through metadata, values formatted the way
// tokio-console prints them, everything sanitized once on arrival.
import type { Attribute, Field, Location } from "@periscope/console-api";
import { sanitize } from "./sanitize.ts";

export interface Meta {
  name: string;
  target: string;
  fieldNames: string[];
}

export type FieldValue = string | number | bigint | boolean;

export interface DecodedField {
  name: string;
  value: FieldValue;
  text: string;
}

export function decodeField(f: Field, metas: Map<bigint, Meta>): DecodedField | undefined {
  let name: string | undefined;
  if (f.strName !== undefined) name = sanitize(f.strName);
  else if (f.nameIdx !== undefined) {
    const meta = f.metadataId ? metas.get(f.metadataId.id) : undefined;
    name = meta?.fieldNames[Number(f.nameIdx)];
  }
  if (name === undefined) return undefined;
  let value: FieldValue;
  if (f.strVal !== undefined) value = sanitize(f.strVal);
  else if (f.debugVal !== undefined) value = sanitize(f.debugVal);
  else if (f.u64Val !== undefined) value = f.u64Val;
  else if (f.i64Val !== undefined) value = f.i64Val;
  else if (f.boolVal !== undefined) value = f.boolVal;
  else return undefined;
  return { name, value, text: `${name}=${String(value)}` };
}

export interface DecodedAttribute extends DecodedField {
  unit: string;
}

export function decodeAttribute(
  a: Attribute,
  metas: Map<bigint, Meta>,
): DecodedAttribute | undefined {
  if (!a.field) return undefined;
  const f = decodeField(a.field, metas);
  if (!f) return undefined;
  const unit = a.unit ? sanitize(a.unit) : "";
  // "40ms" reads well; "3polls" does not: words get a space, unit symbols do not.
  const sep = unit.length > 2 && /^[a-z]+$/i.test(unit) ? " " : "";
  return { ...f, unit, text: f.text + sep + unit };
}

/** "file:line:col", with a file:// URL prefix dropped; "" when the server sent none. */
export function formatLocation(loc: Location | undefined): string {
  if (!loc) return "";
  let file = sanitize(loc.file ?? loc.modulePath ?? "");
  if (!file) return "";
  if (file.startsWith("file://")) file = file.slice("file://".length);
  let out = file;
  if (loc.line !== undefined) out += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) out += `:${loc.column}`;
  return out;
}
