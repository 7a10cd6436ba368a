// POST /api/transform, as Jaeger's query service has it: an OTLP/JSON export request (what
// Jaeger UI's upload sends for OTLP files) turned into Jaeger's UI model without storing it,
// one trace per trace id, through the same translation and adjusters as stored traces.
import type { StoredSpan } from "../model.ts";
import { decodeJson } from "../otlp/json-decode.ts";
import { type JaegerTrace, sortProcessTags, sortTags, toJaegerTrace } from "./jaeger-json.ts";

const hex = (b: Buffer | null) => (b ? b.toString("hex") : "");

/** Throws OtlpDecodeError for a body that is not OTLP/JSON. */
export function transformOtlpJson(text: string): JaegerTrace[] {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`body is not valid JSON: ${(e as Error).message}`);
  }
  const decoded = decodeJson(obj);
  const byTrace = new Map<string, StoredSpan[]>();
  let resourceId = 0;
  let scopeId = 0;
  for (const r of decoded.resources) {
    resourceId++;
    for (const sc of r.scopes) {
      scopeId++;
      for (const s of sc.spans) {
        const traceId = hex(s.traceId);
        let list = byTrace.get(traceId);
        if (!list) {
          list = [];
          byTrace.set(traceId, list);
        }
        list.push({
          traceId,
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          service: r.service,
          resourceId,
          resource: r.resource,
          scopeId,
          scope: sc.scope,
          startUs: s.startUs,
          durationUs: s.durationUs,
          body: s.body,
        });
      }
    }
  }
  return [...byTrace.values()].map((spans) => {
    const t = toJaegerTrace(spans);
    t.spans.forEach(sortTags);
    sortProcessTags(t.processes);
    return t;
  });
}
