// Decodes the OTLP/JSON encoding of an export request: hex trace and span ids, int64 as strings
// or numbers, enums as numbers or names, lowerCamelCase or snake_case keys (as protobuf's JSON
// mapping allows). Spans are validated exactly as the protobuf path validates them.
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
import {
  checkIds,
  finishSpan,
  MAX_VALUE_DEPTH,
  makeResource,
  OtlpDecodeError,
  optionalCounts,
  reject,
  type Tally,
} from "./decode.ts";
import { encodeSpan } from "./span-bytes.ts";

const HEX_RE = /^[0-9a-fA-F]*$/;

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON is untyped here.
type Any = any;

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
  const span = finishSpan(traceId, spanId, parent, start.us, body);
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

function jsonAttrs(list: unknown, depth = 0): KeyValue[] {
  if (!Array.isArray(list)) return [];
  const out: KeyValue[] = [];
  for (const kv of list) {
    if (!isObj(kv)) continue;
    out.push({ key: String(pick(kv, "key") ?? ""), value: jsonValue(pick(kv, "value"), depth) });
  }
  return out;
}

function jsonValue(v: Any, depth = 0): AnyValue {
  if (!isObj(v)) return {};
  if (depth > MAX_VALUE_DEPTH) {
    throw new OtlpDecodeError(
      `attribute values nest deeper than ${MAX_VALUE_DEPTH} levels; flatten them before export`,
    );
  }
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
    return {
      arrayValue: {
        values: arr(isObj(x) ? pick(x, "values") : []).map((y) => jsonValue(y, depth + 1)),
      },
    };
  if ((x = pick(v, "kvlistValue", "kvlist_value")) !== undefined)
    return { kvlistValue: { values: jsonAttrs(isObj(x) ? pick(x, "values") : [], depth + 1) } };
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
