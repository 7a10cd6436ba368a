// The span shape the store keeps: OTLP's JSON encoding (hex ids, int64 as decimal strings), which
// both the Jaeger and the OTLP outputs derive from, plus the indexed columns pulled out of it.

/** An OTLP AnyValue in its JSON form. */
export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { bytesValue: string }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface OtlpEvent {
  timeUnixNano: string;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

/** A span's content in OTLP's JSON form (ids live in indexed columns instead). */
export interface SpanBody {
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  events: OtlpEvent[];
  links: OtlpLink[];
  status: { code?: number; message?: string };
  traceState?: string;
  flags?: number;
  droppedAttributesCount?: number;
  droppedEventsCount?: number;
  droppedLinksCount?: number;
}

export interface ResourceBody {
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface ScopeBody {
  name: string;
  version?: string;
  attributes?: KeyValue[];
}

/** One decoded, validated span ready for the store. */
export interface IngestSpan {
  traceId: Buffer; // 16 bytes
  spanId: Buffer; // 8 bytes
  parentSpanId: Buffer | null;
  startUs: number;
  durationUs: number;
  error: boolean;
  body: SpanBody;
  /** The span's protobuf encoding, as stored. */
  raw: Uint8Array;
}

export interface IngestScope {
  scope: ScopeBody;
  spans: IngestSpan[];
}

export interface IngestResource {
  service: string;
  resource: ResourceBody;
  scopes: IngestScope[];
}

/** The result of decoding one export request. */
export interface DecodedExport {
  resources: IngestResource[];
  accepted: number;
  rejected: number;
  errorMessage: string;
}

/** A span read back from the store. */
export interface StoredSpan {
  traceId: string; // 32 hex
  spanId: string; // 16 hex
  parentSpanId: string; // 16 hex or ""
  service: string;
  resourceId: number;
  resource: ResourceBody;
  scopeId: number;
  scope: ScopeBody;
  startUs: number;
  durationUs: number;
  body: SpanBody;
}

export const SPAN_KIND_NAMES = [
  "unspecified",
  "internal",
  "server",
  "client",
  "producer",
  "consumer",
];

/** Jaeger's name for an OTLP span kind ("" for unspecified). */
export function kindName(kind: number): string {
  return kind > 0 ? (SPAN_KIND_NAMES[kind] ?? "") : "";
}

/** The indexable text of an attribute value: what a tag search compares against. */
export function valueText(v: AnyValue): string {
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue ? "true" : "false";
  if ("intValue" in v) return v.intValue;
  if ("doubleValue" in v) return String(v.doubleValue);
  if ("bytesValue" in v) return v.bytesValue;
  if ("arrayValue" in v) return JSON.stringify(v.arrayValue.values.map(plainValue));
  if ("kvlistValue" in v)
    return JSON.stringify(
      Object.fromEntries(v.kvlistValue.values.map((kv) => [kv.key, plainValue(kv.value)])),
    );
  return "";
}

/** A plain JS rendering of a value, for nesting inside JSON strings. */
export function plainValue(v: AnyValue): unknown {
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue;
  if ("bytesValue" in v) return v.bytesValue;
  if ("arrayValue" in v) return v.arrayValue.values.map(plainValue);
  if ("kvlistValue" in v)
    return Object.fromEntries(v.kvlistValue.values.map((kv) => [kv.key, plainValue(kv.value)]));
  return null;
}
