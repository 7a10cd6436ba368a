// Renders stored spans as Jaeger's UI JSON model (the `data` of /api/traces): microsecond times,
// typed tags, processes p1..pN, CHILD_OF/FOLLOWS_FROM references, the OTel-derived tags Jaeger adds.
import { type AnyValue, type KeyValue, kindName, type StoredSpan, valueText } from "../model.ts";

export interface JaegerTag {
  key: string;
  type: "string" | "bool" | "int64" | "float64" | "binary";
  value: string | boolean | number;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: "CHILD_OF" | "FOLLOWS_FROM"; traceID: string; spanID: string }>;
  flags?: number;
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  logs: Array<{ timestamp: number; fields: JaegerTag[] }>;
  processID: string;
  warnings: string[] | null;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
  warnings: string[] | null;
}

/** Jaeger prints a 128-bit id whose high half is zero as 16 hex digits. */
export function jaegerTraceId(hex32: string): string {
  return hex32.startsWith("0000000000000000") ? hex32.slice(16) : hex32;
}

export function toJaegerTag(kv: KeyValue): JaegerTag {
  return { key: kv.key, ...typedValue(kv.value) };
}

function typedValue(v: AnyValue): Pick<JaegerTag, "type" | "value"> {
  if ("boolValue" in v) return { type: "bool", value: v.boolValue };
  if ("intValue" in v) {
    const n = Number(v.intValue);
    // JSON numbers beyond 2^53 would be silently rounded by every JavaScript reader: the type
    // stays int64 and the value is its exact decimal string.
    return Number.isSafeInteger(n)
      ? { type: "int64", value: n }
      : { type: "int64", value: v.intValue };
  }
  if ("doubleValue" in v) return { type: "float64", value: v.doubleValue };
  if ("bytesValue" in v) return { type: "binary", value: v.bytesValue };
  return { type: "string", value: valueText(v) };
}

const str = (key: string, value: string): JaegerTag => ({ key, type: "string", value });

/** Hands out Jaeger process ids (p1, p2, …) per stored resource, as spans stream past. */
export class JaegerProcesses {
  readonly processes: JaegerTrace["processes"] = {};
  #ids = new Map<number, string>();

  pidFor(s: StoredSpan): string {
    let pid = this.#ids.get(s.resourceId);
    if (!pid) {
      pid = `p${this.#ids.size + 1}`;
      this.#ids.set(s.resourceId, pid);
      this.processes[pid] = {
        serviceName: s.service,
        tags: s.resource.attributes.filter((kv) => kv.key !== "service.name").map(toJaegerTag),
      };
    }
    return pid;
  }
}

/** Groups spans (all of one trace) into a Jaeger trace. */
export function toJaegerTrace(spans: StoredSpan[]): JaegerTrace {
  const procs = new JaegerProcesses();
  const traceID = jaegerTraceId(spans[0]?.traceId ?? "");
  const out = spans.map((s) => toJaegerSpan(s, traceID, procs.pidFor(s)));
  return { traceID, spans: out, processes: procs.processes, warnings: null };
}

export function toJaegerSpan(s: StoredSpan, traceID: string, processID: string): JaegerSpan {
  const b = s.body;
  const references: JaegerSpan["references"] = [];
  if (s.parentSpanId) references.push({ refType: "CHILD_OF", traceID, spanID: s.parentSpanId });
  for (const l of b.links) {
    // As Jaeger's translator: a link to the parent is that CHILD_OF reference already, and a
    // link says its own type through opentracing.ref_type (a Jaeger or OpenTracing sender's).
    if (s.parentSpanId && l.spanId === s.parentSpanId && l.traceId === s.traceId) continue;
    const ref = l.attributes.find((kv) => kv.key === "opentracing.ref_type");
    const childOf = ref && "stringValue" in ref.value && ref.value.stringValue === "child_of";
    references.push({
      refType: childOf ? "CHILD_OF" : "FOLLOWS_FROM",
      traceID: jaegerTraceId(l.traceId),
      spanID: l.spanId,
    });
  }
  // Tag order follows Jaeger's OTLP translation: scope, attributes, then derived tags.
  const tags: JaegerTag[] = [];
  if (s.scope.name) tags.push(str("otel.scope.name", s.scope.name));
  if (s.scope.version) tags.push(str("otel.scope.version", s.scope.version));
  for (const kv of b.attributes) tags.push(toJaegerTag(kv));
  const kind = kindName(b.kind);
  if (kind) tags.push(str("span.kind", kind));
  if (b.status.code === 1) tags.push(str("otel.status_code", "OK"));
  if (b.status.code === 2) {
    tags.push(str("otel.status_code", "ERROR"));
    tags.push({ key: "error", type: "bool", value: true });
  }
  if (b.status.message) tags.push(str("otel.status_description", b.status.message));
  if (b.traceState) tags.push(str("w3c.tracestate", b.traceState));
  const warnings: string[] = [];
  if (b.droppedAttributesCount)
    warnings.push(`${b.droppedAttributesCount} attributes were dropped by the sender`);
  if (b.droppedEventsCount)
    warnings.push(`${b.droppedEventsCount} events were dropped by the sender`);
  if (b.droppedLinksCount) warnings.push(`${b.droppedLinksCount} links were dropped by the sender`);
  return {
    traceID,
    spanID: s.spanId,
    operationName: b.name,
    references,
    // W3C trace flags (sampled); Jaeger omits the field when it is 0.
    ...((b.flags ?? 0) & 0xff ? { flags: (b.flags ?? 0) & 0xff } : {}),
    startTime: s.startUs,
    duration: s.durationUs,
    tags,
    logs: b.events.map((e) => ({
      timestamp: Number(BigInt(e.timeUnixNano) / 1000n),
      fields: [str("event", e.name), ...e.attributes.map(toJaegerTag)],
    })),
    processID,
    warnings: warnings.length ? warnings : null,
  };
}

/**
 * Jaeger's SortTagsAndLogFields adjuster: span and process tags by key; in each log the `event`
 * field first, the others by key. Sorts are stable, so equal keys keep their order.
 */
export function sortTags(span: JaegerSpan): JaegerSpan {
  span.tags.sort(byKey);
  for (const l of span.logs) {
    const first = l.fields[0]?.key === "event" ? l.fields.splice(0, 1) : [];
    l.fields.sort(byKey);
    l.fields.unshift(...first);
  }
  return span;
}

export function sortProcessTags(processes: JaegerTrace["processes"]): JaegerTrace["processes"] {
  for (const p of Object.values(processes)) p.tags.sort(byKey);
  return processes;
}

const byKey = (a: JaegerTag, b: JaegerTag) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
