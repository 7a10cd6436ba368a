// Renders stored spans back as OTLP/JSON (TracesData), which Jaeger's /api/v3 returns inside
// {"result": ...}: spans regrouped under their resource and instrumentation scope.
import type { StoredSpan } from "../model.ts";

// biome-ignore lint/suspicious/noExplicitAny: plain JSON output.
type Json = any;

export function toOtlpTracesData(spans: StoredSpan[]): { resourceSpans: Json[] } {
  const byResource = new Map<number, { resource: Json; scopes: Map<number, Json> }>();
  for (const s of spans) {
    let r = byResource.get(s.resourceId);
    if (!r) {
      r = { resource: { resource: s.resource, scopeSpans: [] }, scopes: new Map() };
      byResource.set(s.resourceId, r);
    }
    let sc = r.scopes.get(s.scopeId);
    if (!sc) {
      sc = { scope: s.scope, spans: [] };
      r.scopes.set(s.scopeId, sc);
      r.resource.scopeSpans.push(sc);
    }
    sc.spans.push(toOtlpSpan(s));
  }
  return { resourceSpans: [...byResource.values()].map((r) => r.resource) };
}

/** One stored span as an OTLP/JSON Span. */
export function toOtlpSpan(s: StoredSpan): Json {
  const b = s.body;
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    ...(b.traceState ? { traceState: b.traceState } : {}),
    ...(b.flags ? { flags: b.flags } : {}),
    name: b.name,
    kind: b.kind,
    startTimeUnixNano: b.startTimeUnixNano,
    endTimeUnixNano: b.endTimeUnixNano,
    attributes: b.attributes,
    ...(b.droppedAttributesCount ? { droppedAttributesCount: b.droppedAttributesCount } : {}),
    events: b.events,
    ...(b.droppedEventsCount ? { droppedEventsCount: b.droppedEventsCount } : {}),
    links: b.links,
    ...(b.droppedLinksCount ? { droppedLinksCount: b.droppedLinksCount } : {}),
    status: b.status,
  };
}
