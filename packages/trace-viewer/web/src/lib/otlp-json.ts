// Reads OTLP/JSON trace data (an ExportTraceServiceRequest, or JSON Lines of them as the
// Collector's file exporter writes) into Jaeger traces, the way Jaeger maps OTLP: resource ->
// process, parent -> CHILD_OF, links -> FOLLOWS_FROM, events -> logs, status and kind -> tags.
import type { KeyValue, Process, Reference, Span, TagValue, Trace } from "./jaeger.ts";

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: OtlpKv[] };
}
interface OtlpKv {
  key?: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKv[];
  events?: Array<{ timeUnixNano?: string | number; name?: string; attributes?: OtlpKv[] }>;
  links?: Array<{ traceId?: string; spanId?: string }>;
  status?: { code?: number | string; message?: string };
}
interface ResourceSpans {
  resource?: { attributes?: OtlpKv[] };
  scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }>;
}

const KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];

export function isOtlpJson(x: unknown): boolean {
  return (
    !!x && typeof x === "object" && Array.isArray((x as { resourceSpans?: unknown }).resourceSpans)
  );
}

function plain(v: AnyValue | undefined): unknown {
  if (!v) return "";
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plain);
  if (v.kvlistValue)
    return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, plain(kv.value)]));
  return "";
}

function tag(key: string, v: AnyValue | undefined): KeyValue {
  const p = plain(v);
  if (typeof p === "boolean") return { key, type: "bool", value: p };
  if (typeof p === "number")
    return { key, type: v?.intValue !== undefined ? "int64" : "float64", value: p };
  const value: TagValue = typeof p === "string" ? p : JSON.stringify(p);
  return { key, type: v?.bytesValue !== undefined ? "binary" : "string", value };
}

const tags = (kvs: OtlpKv[] | undefined) => (kvs ?? []).map((kv) => tag(String(kv.key), kv.value));
const micros = (ns: string | number | undefined) => Math.round(Number(ns ?? 0) / 1000);
const hex = (id: string | undefined) => String(id ?? "").toLowerCase();

/** Converts parsed OTLP/JSON requests into Jaeger traces, one per trace id. */
export function otlpToJaeger(requests: unknown[]): Trace[] {
  const traces = new Map<string, Trace>();
  const processIds = new Map<Trace, Map<string, string>>();
  for (const req of requests) {
    for (const rs of ((req as { resourceSpans?: ResourceSpans[] }).resourceSpans ??
      []) as ResourceSpans[]) {
      const resTags = tags(rs.resource?.attributes);
      const service = String(resTags.find((t) => t.key === "service.name")?.value ?? "unknown");
      const process: Process = {
        serviceName: service,
        tags: resTags.filter((t) => t.key !== "service.name"),
      };
      const processKey = JSON.stringify(process);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const traceID = hex(s.traceId);
          let trace = traces.get(traceID);
          if (!trace) {
            trace = { traceID, spans: [], processes: {}, warnings: null };
            traces.set(traceID, trace);
            processIds.set(trace, new Map());
          }
          const ids = processIds.get(trace)!;
          let processID = ids.get(processKey);
          if (!processID) {
            processID = `p${ids.size + 1}`;
            ids.set(processKey, processID);
            trace.processes[processID] = process;
          }
          trace.spans.push(toSpan(s, traceID, processID, ss.scope));
        }
      }
    }
  }
  return [...traces.values()];
}

function toSpan(
  s: OtlpSpan,
  traceID: string,
  processID: string,
  scope: { name?: string; version?: string } | undefined,
): Span {
  const startTime = micros(s.startTimeUnixNano);
  const references: Reference[] = [];
  if (s.parentSpanId)
    references.push({ refType: "CHILD_OF", traceID, spanID: hex(s.parentSpanId) });
  for (const l of s.links ?? [])
    references.push({ refType: "FOLLOWS_FROM", traceID: hex(l.traceId), spanID: hex(l.spanId) });
  const extra: KeyValue[] = [];
  const kind =
    typeof s.kind === "number"
      ? KINDS[s.kind]
      : String(s.kind ?? "")
          .replace(/^SPAN_KIND_/, "")
          .toLowerCase();
  if (kind && kind !== "unspecified" && kind !== "internal")
    extra.push({ key: "span.kind", type: "string", value: kind });
  if (scope?.name) extra.push({ key: "otel.scope.name", type: "string", value: scope.name });
  const code = String(s.status?.code ?? "");
  if (code === "2" || code === "STATUS_CODE_ERROR") {
    extra.push({ key: "otel.status_code", type: "string", value: "ERROR" });
    extra.push({ key: "error", type: "bool", value: true });
  } else if (code === "1" || code === "STATUS_CODE_OK") {
    extra.push({ key: "otel.status_code", type: "string", value: "OK" });
  }
  if (s.status?.message)
    extra.push({ key: "otel.status_description", type: "string", value: String(s.status.message) });
  return {
    traceID,
    spanID: hex(s.spanId),
    operationName: String(s.name ?? ""),
    references,
    startTime,
    duration: Math.max(0, micros(s.endTimeUnixNano) - startTime),
    tags: [...tags(s.attributes), ...extra],
    logs: (s.events ?? []).map((e) => ({
      timestamp: micros(e.timeUnixNano),
      fields: [
        { key: "event", type: "string", value: String(e.name ?? "") },
        ...tags(e.attributes),
      ],
    })),
    processID,
    warnings: null,
  };
}
