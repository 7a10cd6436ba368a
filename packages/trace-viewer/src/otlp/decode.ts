// Turns a protobuf OTLP export request into validated spans, and holds the validation both
// encodings share: spans with unusable ids are rejected one by one (partial success); a body that
// is not an export request at all throws OtlpDecodeError, which the receivers answer with 400.
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
} from "../model.ts";
import { ExportTraceServiceRequest } from "./schema.ts";
import { encodeSpan, spanSlices } from "./span-bytes.ts";

export class OtlpDecodeError extends Error {
  readonly code = "PERISCOPE_OTLP_MALFORMED";
}

const EMPTY = new Uint8Array(0);
const ZERO_TRACE = Buffer.alloc(16);
const ZERO_SPAN = Buffer.alloc(8);

// biome-ignore lint/suspicious/noExplicitAny: protobufjs messages and parsed JSON are untyped here.
type Any = any;

export interface Tally {
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
  const body = spanBodyFromMessage(s);
  tally.accepted++;
  const span = finishSpan(traceId, spanId, parent, start.us, body);
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

export function optionalCounts(body: SpanBody, s: Any): void {
  if (s.traceState) body.traceState = String(s.traceState);
  if (s.flags) body.flags = Number(s.flags) >>> 0;
  if (s.droppedAttributesCount) body.droppedAttributesCount = Number(s.droppedAttributesCount);
  if (s.droppedEventsCount) body.droppedEventsCount = Number(s.droppedEventsCount);
  if (s.droppedLinksCount) body.droppedLinksCount = Number(s.droppedLinksCount);
}

/** Deepest nesting of array/kvlist values accepted, in protobuf as in JSON. */
export const MAX_VALUE_DEPTH = 32;

function pbAttrs(list: Any[] | undefined, depth = 0): KeyValue[] {
  if (!list || list.length === 0) return [];
  const out: KeyValue[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    out[i] = { key: kv.key ?? "", value: pbValue(kv.value, depth) };
  }
  return out;
}

function pbValue(v: Any, depth: number): AnyValue {
  if (depth > MAX_VALUE_DEPTH) {
    throw new OtlpDecodeError(
      `attribute values nest deeper than ${MAX_VALUE_DEPTH} levels; flatten them before export`,
    );
  }
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
      return {
        arrayValue: { values: (v.arrayValue.values ?? []).map((x: Any) => pbValue(x, depth + 1)) },
      };
    case "kvlistValue":
      return { kvlistValue: { values: pbAttrs(v.kvlistValue.values, depth + 1) } };
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

export function checkIds(traceId: Buffer, spanId: Buffer, parent: Buffer | null): string {
  if (traceId.length !== 16 || traceId.equals(ZERO_TRACE))
    return "traceId must be 16 non-zero bytes";
  if (spanId.length !== 8 || spanId.equals(ZERO_SPAN)) return "spanId must be 8 non-zero bytes";
  if (parent && parent.length !== 8) return "parentSpanId must be empty or 8 bytes";
  return "";
}

export function reject(tally: Tally, why: string): null {
  tally.rejected++;
  if (!tally.firstError) tally.firstError = why;
  return null;
}

export function finishSpan(
  traceId: Buffer,
  spanId: Buffer,
  parent: Buffer | null,
  startUs: number,
  body: SpanBody,
): IngestSpan {
  const parentSpanId = parent && !parent.equals(ZERO_SPAN) ? parent : null;
  const error = body.status.code === 2;
  // Jaeger's duration: whole microseconds of end - start in nanoseconds (not the difference of
  // two rounded times, which can be a microsecond more).
  const ns = BigInt(body.endTimeUnixNano) - BigInt(body.startTimeUnixNano);
  const durationUs = ns > 0n ? Number(ns / 1000n) : 0;
  return {
    traceId,
    spanId,
    parentSpanId,
    startUs,
    durationUs,
    error,
    body,
    raw: EMPTY,
  };
}

export function makeResource(
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
