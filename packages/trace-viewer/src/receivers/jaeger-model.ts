// Jaeger's span model (as its Thrift and api_v2 IDLs define it) and its mapping onto the store's
// OTLP shape, the way the OpenTelemetry Collector's Jaeger receiver translates it: process tags
// become the resource, span.kind / error / otel.status_* tags become kind and status, the
// CHILD_OF reference to the parent becomes the parent, other references links, logs events.
import type {
  AnyValue,
  DecodedExport,
  IngestScope,
  IngestSpan,
  KeyValue,
  SpanBody,
} from "../model.ts";
import { checkIds, finishSpan, makeResource, reject, type Tally } from "../otlp/decode.ts";
import { encodeSpan } from "../otlp/span-bytes.ts";

export type JaegerTagValue =
  | { type: "string"; v: string }
  | { type: "double"; v: number }
  | { type: "bool"; v: boolean }
  | { type: "long"; v: bigint }
  | { type: "binary"; v: Buffer };

export interface JaegerKv {
  key: string;
  value: JaegerTagValue;
}

export interface JaegerRef {
  type: "CHILD_OF" | "FOLLOWS_FROM";
  traceId: Buffer; // 16 bytes
  spanId: Buffer; // 8 bytes
}

export interface JaegerSpanIn {
  traceId: Buffer; // 16 bytes (high then low)
  spanId: Buffer; // 8 bytes
  parentSpanId: Buffer | null; // 8 bytes, or null when zero/absent
  operationName: string;
  references: JaegerRef[];
  flags: number;
  startUs: bigint;
  durationUs: bigint;
  tags: JaegerKv[];
  logs: Array<{ timestampUs: bigint; fields: JaegerKv[] }>;
}

export interface JaegerBatchIn {
  serviceName: string;
  processTags: JaegerKv[];
  spans: JaegerSpanIn[];
}

const KINDS: Record<string, number> = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};
const ZERO8 = Buffer.alloc(8);

export function toAnyValue(t: JaegerTagValue): AnyValue {
  switch (t.type) {
    case "string":
      return { stringValue: t.v };
    case "double":
      return { doubleValue: t.v };
    case "bool":
      return { boolValue: t.v };
    case "long":
      return { intValue: t.v.toString() };
    case "binary":
      return { bytesValue: t.v.toString("base64") };
  }
}

const kv = (t: JaegerKv): KeyValue => ({ key: t.key, value: toAnyValue(t.value) });
const text = (t: JaegerTagValue) => (t.type === "binary" ? "" : String(t.v));

/** Maps Jaeger batches onto the store's shape; spans with unusable ids are rejected one by one. */
export function jaegerToExport(batches: JaegerBatchIn[]): DecodedExport {
  const tally: Tally = { accepted: 0, rejected: 0, firstError: "" };
  const resources = batches.map((b) => {
    const attrs: KeyValue[] = [
      { key: "service.name", value: { stringValue: b.serviceName || "unknown_service" } },
      ...b.processTags.filter((t) => t.key !== "service.name").map(kv),
    ];
    const scopes = new Map<string, IngestScope>();
    for (const s of b.spans) {
      const mapped = mapSpan(s, tally);
      if (!mapped) continue;
      const key = `${mapped.scope.name}\u0000${mapped.scope.version ?? ""}`;
      let sc = scopes.get(key);
      if (!sc) {
        sc = { scope: mapped.scope, spans: [] };
        scopes.set(key, sc);
      }
      sc.spans.push(mapped.span);
    }
    return makeResource(attrs, 0, [...scopes.values()]);
  });
  return {
    resources,
    accepted: tally.accepted,
    rejected: tally.rejected,
    errorMessage: tally.firstError,
  };
}

function mapSpan(
  s: JaegerSpanIn,
  tally: Tally,
): { span: IngestSpan; scope: { name: string; version?: string } } | null {
  let parent = s.parentSpanId && !s.parentSpanId.equals(ZERO8) ? s.parentSpanId : null;
  const links: SpanBody["links"] = [];
  for (const r of s.references) {
    // The reference to the parent is the parent; every other reference is a link that keeps its
    // type, as the Collector's translator does.
    if (
      r.type === "CHILD_OF" &&
      r.traceId.equals(s.traceId) &&
      (!parent || r.spanId.equals(parent))
    ) {
      parent = r.spanId;
      continue;
    }
    links.push({
      traceId: r.traceId.toString("hex"),
      spanId: r.spanId.toString("hex"),
      attributes: [
        {
          key: "opentracing.ref_type",
          value: { stringValue: r.type === "CHILD_OF" ? "child_of" : "follows_from" },
        },
      ],
    });
  }
  const bad = checkIds(s.traceId, s.spanId, parent);
  if (bad) return reject(tally, bad);
  let kind = 0;
  const status: SpanBody["status"] = {};
  const scope: { name: string; version?: string } = { name: "" };
  let error = false;
  const attributes: KeyValue[] = [];
  for (const t of s.tags) {
    const v = text(t.value);
    if (t.key === "span.kind" && KINDS[v]) kind = KINDS[v];
    else if (t.key === "error" && (v === "true" || v === "false")) error = v === "true";
    else if (t.key === "otel.status_code" && (v === "OK" || v === "ERROR"))
      status.code = v === "OK" ? 1 : 2;
    else if (t.key === "otel.status_description") status.message = v;
    else if (t.key === "otel.scope.name" || t.key === "otel.library.name") scope.name = v;
    else if (t.key === "otel.scope.version" || t.key === "otel.library.version") scope.version = v;
    else attributes.push(kv(t));
  }
  if (error && status.code === undefined) status.code = 2;
  if (!scope.version) delete scope.version;
  const startNs = s.startUs * 1000n;
  const endNs = (s.startUs + (s.durationUs > 0n ? s.durationUs : 0n)) * 1000n;
  const body: SpanBody = {
    name: s.operationName,
    kind,
    startTimeUnixNano: startNs.toString(),
    endTimeUnixNano: endNs.toString(),
    attributes,
    events: s.logs.map((l) => {
      const nameField = l.fields.find((f) => f.key === "event" && f.value.type === "string");
      return {
        timeUnixNano: (l.timestampUs * 1000n).toString(),
        name: nameField ? String(nameField.value.v) : "",
        attributes: l.fields.filter((f) => f !== nameField).map(kv),
      };
    }),
    links,
    status,
  };
  // Jaeger's flags: 1 sampled, 2 debug; the sampled bit is W3C's.
  if (s.flags & 1) body.flags = 1;
  tally.accepted++;
  const span = finishSpan(s.traceId, s.spanId, parent, Number(s.startUs), body);
  span.raw = encodeSpan(s.traceId, s.spanId, span.parentSpanId, body);
  return { span, scope };
}
