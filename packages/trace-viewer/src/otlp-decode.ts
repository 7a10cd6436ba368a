// Turns an OTLP export request (protobuf bytes or the OTLP/JSON object) into validated spans.
// Spans with unusable ids are rejected one by one (partial success); a body that is not an
// export request at all throws OtlpDecodeError, which the receivers answer with 400.
import type {
  AnyValue,
  DecodedExport,
  IngestResource,
  IngestScope,
  IngestSpan,
  KeyValue,
  OtlpEvent,
  OtlpLink,
  SpanBody,
} from "./model.ts";
import { ExportTraceServiceRequest } from "./otlp-schema.ts";
import { encodeSpan, spanSlices } from "./span-bytes.ts";

export class OtlpDecodeError extends Error {
  readonly code = "PERISCOPE_OTLP_MALFORMED";
}

const EMPTY = new Uint8Array(0);
const ZERO_TRACE = Buffer.alloc(16);
const ZERO_SPAN = Buffer.alloc(8);
const HEX_RE = /^[0-9a-fA-F]*$/;

// biome-ignore lint/suspicious/noExplicitAny: protobufjs messages and parsed JSON are untyped here.
type Any = any;

interface Tally {
  accepted: number;
  rejected: number;
  firstError: string;
}

/** Decodes a binary ExportTraceServiceRequest. */
export function decodeProtobuf(body: Uint8Array): DecodedExport {
  let msg: Any;
  try {
    msg = ExportTraceServiceRequest.decode(body);
  } catch (e) {
    throw new OtlpDecodeError(
      `body is not a protobuf ExportTraceServiceRequest: ${(e as Error).message}`,
    );
  }
  const tally: Tally = { accepted: 0, rejected: 0, firstError: "" };
  const slices = spanSlices(body);
  const resources: IngestResource[] = [];
  for (const [ri, rs] of (msg.resourceSpans ?? []).entries()) {
    const attributes = pbAttrs(rs.resource?.attributes);
    const scopes: IngestScope[] = [];
    for (const [si, ss] of (rs.scopeSpans ?? []).entries()) {
      const spans: IngestSpan[] = [];
      const raws = slices[ri]?.[si] ?? [];
      for (const [k, s] of (ss.spans ?? []).entries()) {
        const span = pbSpan(s, tally, raws[k]);
        if (span) spans.push(span);
      }
      const sc = ss.scope;
      scopes.push({
        scope: {
          name: sc?.name ?? "",
          ...(sc?.version ? { version: sc.version } : {}),
          ...(sc?.attributes?.length ? { attributes: pbAttrs(sc.attributes) } : {}),
        },
        spans,
      });
    }
    resources.push(makeResource(attributes, rs.resource?.droppedAttributesCount ?? 0, scopes));
  }
  return {
    resources,
    accepted: tally.accepted,
    rejected: tally.rejected,
    errorMessage: tally.firstError,
  };
}

function pbSpan(s: Any, tally: Tally, raw: Uint8Array | undefined): IngestSpan | null {
  const traceId = Buffer.from(s.traceId ?? []);
  const spanId = Buffer.from(s.spanId ?? []);
  const parent = s.parentSpanId?.length ? Buffer.from(s.parentSpanId) : null;
  const bad = checkIds(traceId, spanId, parent);
  if (bad) return reject(tally, bad);
  const start = longToNs(s.startTimeUnixNano);
  const end = longToNs(s.endTimeUnixNano);
  const body = spanBodyFromMessage(s);
  tally.accepted++;
  const span = finishSpan(traceId, spanId, parent, start.us, end.us, body);
  // The sender's bytes are stored as they came; should slicing ever disagree, re-encode.
  span.raw = raw ?? encodeSpan(traceId, spanId, parent, body);
  return span;
}

/** A decoded protobuf Span message in OTLP's JSON form. */
export function spanBodyFromMessage(s: Any): SpanBody {
  const body: SpanBody = {
    name: s.name ?? "",
    kind: s.kind ?? 0,
    startTimeUnixNano: longToNs(s.startTimeUnixNano).ns,
    endTimeUnixNano: longToNs(s.endTimeUnixNano).ns,
    attributes: pbAttrs(s.attributes),
    events: (s.events ?? []).map(
      (e: Any): OtlpEvent => ({
        timeUnixNano: longToNs(e.timeUnixNano).ns,
        name: e.name ?? "",
        attributes: pbAttrs(e.attributes),
        ...(e.droppedAttributesCount ? { droppedAttributesCount: e.droppedAttributesCount } : {}),
      }),
    ),
    links: (s.links ?? []).map(
      (l: Any): OtlpLink => ({
        traceId: Buffer.from(l.traceId ?? []).toString("hex"),
        spanId: Buffer.from(l.spanId ?? []).toString("hex"),
        ...(l.traceState ? { traceState: l.traceState } : {}),
        attributes: pbAttrs(l.attributes),
        ...(l.droppedAttributesCount ? { droppedAttributesCount: l.droppedAttributesCount } : {}),
        ...(l.flags ? { flags: l.flags } : {}),
      }),
    ),
    status: pbStatus(s.status),
  };
  optionalCounts(body, s);
  return body;
}

function pbStatus(st: Any): SpanBody["status"] {
  const out: SpanBody["status"] = {};
  if (st?.code) out.code = st.code;
  if (st?.message) out.message = st.message;
  return out;
}

function optionalCounts(body: SpanBody, s: Any): void {
  if (s.traceState) body.traceState = String(s.traceState);
  if (s.flags) body.flags = Number(s.flags) >>> 0;
  if (s.droppedAttributesCount) body.droppedAttributesCount = Number(s.droppedAttributesCount);
  if (s.droppedEventsCount) body.droppedEventsCount = Number(s.droppedEventsCount);
  if (s.droppedLinksCount) body.droppedLinksCount = Number(s.droppedLinksCount);
}

function pbAttrs(list: Any[] | undefined): KeyValue[] {
  if (!list || list.length === 0) return [];
  const out: KeyValue[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    out[i] = { key: kv.key ?? "", value: pbValue(kv.value) };
  }
  return out;
}

function pbValue(v: Any): AnyValue {
  switch (v?.value) {
    case "stringValue":
      return { stringValue: v.stringValue };
    case "boolValue":
      return { boolValue: v.boolValue };
    case "intValue":
      return { intValue: String(v.intValue) };
    case "doubleValue":
      return { doubleValue: v.doubleValue };
    case "bytesValue":
      return { bytesValue: Buffer.from(v.bytesValue).toString("base64") };
    case "arrayValue":
      return { arrayValue: { values: (v.arrayValue.values ?? []).map(pbValue) } };
    case "kvlistValue":
      return { kvlistValue: { values: pbAttrs(v.kvlistValue.values) } };
    default:
      return {};
  }
}

/**
 * A fixed64 nanosecond time as an exact decimal string and as whole microseconds. protobufjs
 * hands out Long objects (or plain numbers when Long is absent); doubles would lose nanoseconds.
 */
export function longToNs(v: Any): { ns: string; us: number } {
  if (v == null) return { ns: "0", us: 0 };
  if (typeof v === "number")
    return { ns: BigInt(Math.trunc(v)).toString(), us: Math.floor(v / 1000) };
  const high = v.high >>> 0;
  const low = v.low >>> 0;
  if (high === 0) return { ns: String(low), us: Math.floor(low / 1000) };
  // 2^32 = 4294967 * 1000 + 296, so the microseconds stay exact without BigInt.
  const us = high * 4294967 + Math.floor((high * 296 + low) / 1000);
  const ns = ((BigInt(high) << 32n) | BigInt(low)).toString();
  return { ns, us };
}

/** Decodes the OTLP/JSON encoding (lowerCamelCase or snake_case keys, hex ids). */
export function decodeJson(obj: unknown): DecodedExport {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new OtlpDecodeError("body is not a JSON ExportTraceServiceRequest object");
  }
  const list = pick(obj, "resourceSpans", "resource_spans") ?? [];
  if (!Array.isArray(list)) throw new OtlpDecodeError("resourceSpans must be an array");
  const tally: Tally = { accepted: 0, rejected: 0, firstError: "" };
  const resources: IngestResource[] = [];
  for (const rs of list) {
    if (!isObj(rs)) throw new OtlpDecodeError("each resourceSpans entry must be an object");
    const res = pick(rs, "resource");
    const scopes: IngestScope[] = [];
    const ssList = pick(rs, "scopeSpans", "scope_spans") ?? [];
    if (!Array.isArray(ssList)) throw new OtlpDecodeError("scopeSpans must be an array");
    for (const ss of ssList) {
      if (!isObj(ss)) throw new OtlpDecodeError("each scopeSpans entry must be an object");
      const spansIn = pick(ss, "spans") ?? [];
      if (!Array.isArray(spansIn)) throw new OtlpDecodeError("spans must be an array");
      const spans: IngestSpan[] = [];
      for (const s of spansIn) {
        if (!isObj(s)) throw new OtlpDecodeError("each span must be an object");
        const span = jsonSpan(s, tally);
        if (span) spans.push(span);
      }
      const sc = pick(ss, "scope");
      const attrs = jsonAttrs(sc && pick(sc, "attributes"));
      const version = sc && pick(sc, "version");
      scopes.push({
        scope: {
          name: String((sc && pick(sc, "name")) ?? ""),
          ...(version ? { version: String(version) } : {}),
          ...(attrs.length ? { attributes: attrs } : {}),
        },
        spans,
      });
    }
    const dropped = Number(
      (res && pick(res, "droppedAttributesCount", "dropped_attributes_count")) ?? 0,
    );
    resources.push(makeResource(jsonAttrs(res && pick(res, "attributes")), dropped, scopes));
  }
  return {
    resources,
    accepted: tally.accepted,
    rejected: tally.rejected,
    errorMessage: tally.firstError,
  };
}

function jsonSpan(s: Any, tally: Tally): IngestSpan | null {
  const traceId = hexId(pick(s, "traceId", "trace_id"), 16);
  const spanId = hexId(pick(s, "spanId", "span_id"), 8);
  const parentRaw = pick(s, "parentSpanId", "parent_span_id");
  const parent = parentRaw ? hexId(parentRaw, 8) : null;
  if (!traceId || !spanId || (parentRaw && !parent)) {
    return reject(tally, "span ids must be hex strings: traceId 32 digits, spanId 16 digits");
  }
  const bad = checkIds(traceId, spanId, parent);
  if (bad) return reject(tally, bad);
  const start = jsonNs(pick(s, "startTimeUnixNano", "start_time_unix_nano"));
  const end = jsonNs(pick(s, "endTimeUnixNano", "end_time_unix_nano"));
  if (!start || !end) return reject(tally, "span times must be unsigned integers (nanoseconds)");
  const st = pick(s, "status");
  const status: SpanBody["status"] = {};
  const code = st ? enumValue(pick(st, "code"), STATUS_CODES) : 0;
  if (code) status.code = code;
  const message = st && pick(st, "message");
  if (message) status.message = String(message);
  const body: SpanBody = {
    name: String(pick(s, "name") ?? ""),
    kind: enumValue(pick(s, "kind"), SPAN_KINDS),
    startTimeUnixNano: start.ns,
    endTimeUnixNano: end.ns,
    attributes: jsonAttrs(pick(s, "attributes")),
    events: arr(pick(s, "events")).map(
      (e: Any): OtlpEvent => ({
        timeUnixNano: (jsonNs(pick(e, "timeUnixNano", "time_unix_nano")) ?? { ns: "0" }).ns,
        name: String(pick(e, "name") ?? ""),
        attributes: jsonAttrs(pick(e, "attributes")),
      }),
    ),
    links: arr(pick(s, "links")).map(
      (l: Any): OtlpLink => ({
        traceId: String(pick(l, "traceId", "trace_id") ?? "").toLowerCase(),
        spanId: String(pick(l, "spanId", "span_id") ?? "").toLowerCase(),
        attributes: jsonAttrs(pick(l, "attributes")),
      }),
    ),
    status,
  };
  optionalCounts(body, {
    traceState: pick(s, "traceState", "trace_state"),
    flags: pick(s, "flags"),
    droppedAttributesCount: pick(s, "droppedAttributesCount", "dropped_attributes_count"),
    droppedEventsCount: pick(s, "droppedEventsCount", "dropped_events_count"),
    droppedLinksCount: pick(s, "droppedLinksCount", "dropped_links_count"),
  });
  tally.accepted++;
  const span = finishSpan(traceId, spanId, parent, start.us, end.us, body);
  span.raw = encodeSpan(traceId, spanId, parent, body);
  return span;
}

const SPAN_KINDS = [
  "SPAN_KIND_UNSPECIFIED",
  "SPAN_KIND_INTERNAL",
  "SPAN_KIND_SERVER",
  "SPAN_KIND_CLIENT",
  "SPAN_KIND_PRODUCER",
  "SPAN_KIND_CONSUMER",
];
const STATUS_CODES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

function enumValue(v: unknown, names: string[]): number {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < names.length) return v;
  if (typeof v === "string") {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  return 0;
}

function jsonAttrs(list: unknown): KeyValue[] {
  if (!Array.isArray(list)) return [];
  const out: KeyValue[] = [];
  for (const kv of list) {
    if (!isObj(kv)) continue;
    out.push({ key: String(pick(kv, "key") ?? ""), value: jsonValue(pick(kv, "value")) });
  }
  return out;
}

function jsonValue(v: Any): AnyValue {
  if (!isObj(v)) return {};
  let x: unknown;
  if ((x = pick(v, "stringValue", "string_value")) !== undefined) return { stringValue: String(x) };
  if ((x = pick(v, "boolValue", "bool_value")) !== undefined)
    return { boolValue: x === true || x === "true" };
  if ((x = pick(v, "intValue", "int_value")) !== undefined) {
    const s = typeof x === "number" ? BigInt(Math.trunc(x)).toString() : String(x);
    return { intValue: /^-?\d+$/.test(s) ? s : "0" };
  }
  if ((x = pick(v, "doubleValue", "double_value")) !== undefined) return { doubleValue: Number(x) };
  if ((x = pick(v, "bytesValue", "bytes_value")) !== undefined) return { bytesValue: String(x) };
  if ((x = pick(v, "arrayValue", "array_value")) !== undefined)
    return { arrayValue: { values: arr(isObj(x) ? pick(x, "values") : []).map(jsonValue) } };
  if ((x = pick(v, "kvlistValue", "kvlist_value")) !== undefined)
    return { kvlistValue: { values: jsonAttrs(isObj(x) ? pick(x, "values") : []) } };
  return {};
}

function jsonNs(v: unknown): { ns: string; us: number } | null {
  if (v === undefined || v === null) return { ns: "0", us: 0 };
  const s = typeof v === "number" ? (Number.isSafeInteger(v) ? String(v) : "") : String(v);
  if (!/^\d{1,20}$/.test(s)) return null;
  const n = BigInt(s);
  return { ns: n.toString(), us: Number(n / 1000n) };
}

function hexId(v: unknown, bytes: number): Buffer | null {
  if (typeof v !== "string" || v.length !== bytes * 2 || !HEX_RE.test(v)) return null;
  return Buffer.from(v, "hex");
}

function checkIds(traceId: Buffer, spanId: Buffer, parent: Buffer | null): string {
  if (traceId.length !== 16 || traceId.equals(ZERO_TRACE))
    return "traceId must be 16 non-zero bytes";
  if (spanId.length !== 8 || spanId.equals(ZERO_SPAN)) return "spanId must be 8 non-zero bytes";
  if (parent && parent.length !== 8) return "parentSpanId must be empty or 8 bytes";
  return "";
}

function reject(tally: Tally, why: string): null {
  tally.rejected++;
  if (!tally.firstError) tally.firstError = why;
  return null;
}

function finishSpan(
  traceId: Buffer,
  spanId: Buffer,
  parent: Buffer | null,
  startUs: number,
  endUs: number,
  body: SpanBody,
): IngestSpan {
  const parentSpanId = parent && !parent.equals(ZERO_SPAN) ? parent : null;
  const error = body.status.code === 2;
  return {
    traceId,
    spanId,
    parentSpanId,
    startUs,
    durationUs: Math.max(0, endUs - startUs),
    error,
    body,
    raw: EMPTY,
  };
}

function makeResource(
  attributes: KeyValue[],
  dropped: number,
  scopes: IngestScope[],
): IngestResource {
  let service = "";
  for (const kv of attributes) {
    if (kv.key === "service.name" && "stringValue" in kv.value) service = kv.value.stringValue;
  }
  return {
    service: service || "unknown_service",
    resource: { attributes, ...(dropped ? { droppedAttributesCount: dropped } : {}) },
    scopes,
  };
}

function pick(o: Any, a: string, b?: string): Any {
  const v = o[a];
  return v !== undefined || b === undefined ? v : o[b];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function arr(v: unknown): Any[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}
