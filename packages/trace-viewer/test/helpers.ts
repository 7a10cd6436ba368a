// Shared test helpers: a throwaway viewer on port 0, real spans made by the OpenTelemetry SDK and
// sent by an official exporter, and small HTTP helpers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { type RunningViewer, startViewer, type ViewerOptions } from "@periscope/trace-viewer";

export async function testViewer(opts: ViewerOptions = {}): Promise<RunningViewer> {
  return startViewer({
    ui: "127.0.0.1:0",
    otlpHttp: "127.0.0.1:0",
    otlpGrpc: "127.0.0.1:0",
    jaegerCompact: false,
    jaegerBinary: false,
    jaegerHttp: false,
    zipkin: false,
    jaegerGrpc: false,
    inMemory: opts.dataDir === undefined,
    retentionIntervalMs: 0,
    ...opts,
  });
}

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "periscope-viewer-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface SentTrace {
  traceId: string;
  rootSpanId: string;
  childSpanId: string;
}

/**
 * Makes one real trace with the SDK (a server root with a client child that fails, an event and
 * a link) and sends it through `exporter`. Resolves once the exporter reported its result.
 */
export async function sendSdkTrace(
  exporter: SpanExporter,
  service: string,
  attrs: Record<string, string | number | boolean> = {},
): Promise<SentTrace> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service, "host.name": "test-host" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("periscope-test", "1.2.3");
  const root: Span = tracer.startSpan("GET /users/:id", {
    kind: SpanKind.SERVER,
    attributes: { "http.method": "GET", "http.status_code": 200, ...attrs },
  });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    "redis GET",
    {
      kind: SpanKind.CLIENT,
      attributes: { "db.system": "redis", "net.peer.port": 6379, cached: false, ratio: 0.5 },
      links: [{ context: root.spanContext(), attributes: { why: "test link" } }],
    },
    ctx,
  );
  child.addEvent("cache miss", { key: "user:42" });
  child.setStatus({ code: SpanStatusCode.ERROR, message: "connection reset" });
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return {
    traceId: root.spanContext().traceId,
    rootSpanId: root.spanContext().spanId,
    childSpanId: child.spanContext().spanId,
  };
}

export async function getJson(
  url: string,
): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

/** A hand-made OTLP/JSON request with one span per entry. */
export function jsonRequest(
  service: string,
  spans: Array<{
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    name: string;
    startNs: bigint;
    durationNs: bigint;
    attributes?: Array<{ key: string; value: Record<string, unknown> }>;
  }>,
) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: "hand-made" },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: 2,
              startTimeUnixNano: String(s.startNs),
              endTimeUnixNano: String(s.startNs + s.durationNs),
              attributes: s.attributes ?? [],
            })),
          },
        ],
      },
    ],
  };
}

export async function postJson(otlpHttpUrl: string, body: unknown): Promise<Response> {
  return fetch(`${otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

export const hexId = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, "0");

/** Every Jaeger and Zipkin receiver on, each on a free loopback port. */
export const protocolsOn = {
  jaegerCompact: "127.0.0.1:0",
  jaegerBinary: "127.0.0.1:0",
  jaegerHttp: "127.0.0.1:0",
  zipkin: "127.0.0.1:0",
};

export async function waitForTrace(ui: string, traceId: string, spans: number) {
  for (let i = 0; i < 200; i++) {
    const r = await getJson(`${ui}/api/traces/${traceId}`);
    if (r.status === 200 && r.body.data[0].spans.length >= spans) return r.body.data[0];
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`trace ${traceId} did not arrive`);
}

export const tag = (span: any, key: string) => span.tags.find((t: any) => t.key === key);
