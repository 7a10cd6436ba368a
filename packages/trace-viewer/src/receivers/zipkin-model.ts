// Maps Zipkin spans onto the store's OTLP shape, as the OpenTelemetry Collector's Zipkin
// receiver does: the local endpoint's service is the resource, kind and the error /
// otel.status_* tags become kind and status, the remote endpoint becomes peer attributes,
// annotations become events. Spans without a usable id or time are rejected one by one.
import type { DecodedExport, IngestScope, KeyValue, SpanBody } from "../model.ts";
import { checkIds, finishSpan, makeResource, reject, type Tally } from "../otlp/decode.ts";
import { encodeSpan } from "../otlp/span-bytes.ts";
import type { ZipkinSpan } from "./zipkin-decode.ts";

const KINDS = { CLIENT: 3, SERVER: 2, PRODUCER: 4, CONSUMER: 5 } as const;
const HEX = /^[0-9a-f]+$/;

function id(hex: string | undefined, bytes: number): Buffer | null {
  if (!hex || hex.length > bytes * 2 || !HEX.test(hex)) return null;
  return Buffer.from(hex.padStart(bytes * 2, "0"), "hex");
}

const s = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });

export function zipkinToExport(spans: ZipkinSpan[]): DecodedExport {
  const tally: Tally = { accepted: 0, rejected: 0, firstError: "" };
  const byService = new Map<string, Map<string, IngestScope>>();
  for (const z of spans) {
    const traceId = id(z.traceId, 16);
    const spanId = id(z.id, 8);
    const parent = z.parentId ? id(z.parentId, 8) : null;
    if (!traceId || !spanId || (z.parentId && !parent)) {
      reject(tally, "Zipkin ids must be hex: traceId 16 or 32 digits, id and parentId 16");
      continue;
    }
    const bad = checkIds(traceId, spanId, parent);
    if (bad) {
      reject(tally, bad);
      continue;
    }
    if (!z.timestamp || !Number.isFinite(z.timestamp) || z.timestamp < 0) {
      reject(tally, "Zipkin spans need a timestamp (epoch microseconds)");
      continue;
    }
    const status: SpanBody["status"] = {};
    const scope: { name: string; version?: string } = { name: "" };
    const attributes: KeyValue[] = [];
    for (const [k, v] of Object.entries(z.tags)) {
      if (k === "otel.status_code" && (v === "OK" || v === "ERROR"))
        status.code = v === "OK" ? 1 : 2;
      else if (k === "otel.status_description") status.message = v;
      else if (k === "error") {
        status.code = 2;
        // Zipkin puts the error message in the tag's value ("" or "true" when there is none).
        if (v && v !== "true" && !status.message) status.message = v;
      } else if (k === "otel.scope.name" || k === "otel.library.name") scope.name = v;
      else if (k === "otel.scope.version" || k === "otel.library.version") scope.version = v;
      else attributes.push(s(k, v));
    }
    const r = z.remoteEndpoint;
    if (r?.serviceName) attributes.push(s("peer.service", r.serviceName));
    if (r?.ipv4 || r?.ipv6) attributes.push(s("net.peer.ip", (r.ipv4 ?? r.ipv6)!));
    if (r?.port) attributes.push({ key: "net.peer.port", value: { intValue: String(r.port) } });
    const startUs = Math.floor(z.timestamp);
    const durUs = Math.max(0, Math.floor(z.duration ?? 0));
    const body: SpanBody = {
      name: z.name ?? "",
      kind: z.kind ? KINDS[z.kind] : 1,
      startTimeUnixNano: (BigInt(startUs) * 1000n).toString(),
      endTimeUnixNano: (BigInt(startUs + durUs) * 1000n).toString(),
      attributes,
      events: z.annotations.map((a) => ({
        timeUnixNano: (BigInt(Math.max(0, Math.floor(a.timestamp))) * 1000n).toString(),
        name: a.value,
        attributes: [],
      })),
      links: [],
      status,
    };
    tally.accepted++;
    const span = finishSpan(traceId, spanId, parent, startUs, body);
    span.raw = encodeSpan(traceId, spanId, span.parentSpanId, body);
    const service = z.localEndpoint?.serviceName || "unknown_service";
    let scopes = byService.get(service);
    if (!scopes) {
      scopes = new Map();
      byService.set(service, scopes);
    }
    const key = `${scope.name}\u0000${scope.version ?? ""}`;
    let sc = scopes.get(key);
    if (!sc) {
      sc = { scope: scope.version ? scope : { name: scope.name }, spans: [] };
      scopes.set(key, sc);
    }
    sc.spans.push(span);
  }
  const resources = [...byService].map(([service, scopes]) =>
    makeResource([s("service.name", service)], 0, [...scopes.values()]),
  );
  return {
    resources,
    accepted: tally.accepted,
    rejected: tally.rejected,
    errorMessage: tally.firstError,
  };
}
