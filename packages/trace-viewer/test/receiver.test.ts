// OTLP receivers: bodies made by the official exporters (protobuf, JSON, gRPC), compression,
// CORS, and the Collector's answers to malformed, oversized and unsupported requests.
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { OTLPTraceExporter as GrpcExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import {
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  RpcStatus,
} from "../src/otlp/schema.ts";
import {
  getJson,
  hexId,
  jsonRequest,
  postJson,
  type SentTrace,
  sendSdkTrace,
  testViewer,
} from "./helpers.ts";

async function assertStored(uiUrl: string, sent: SentTrace, service: string) {
  const { status, body } = await getJson(`${uiUrl}/api/traces/${sent.traceId}`);
  assert.equal(status, 200);
  const tr = body.data[0];
  assert.equal(tr.traceID, sent.traceId);
  assert.equal(tr.spans.length, 2);
  const root = tr.spans.find((s: any) => s.spanID === sent.rootSpanId);
  const child = tr.spans.find((s: any) => s.spanID === sent.childSpanId);
  assert.equal(root.operationName, "GET /users/:id");
  assert.deepEqual(child.references[0], {
    refType: "CHILD_OF",
    traceID: sent.traceId,
    spanID: sent.rootSpanId,
  });
  // The SDK span also links to its parent: as in Jaeger, that link is the CHILD_OF reference.
  assert.equal(child.references.length, 1);
  const tag = (s: any, k: string) => s.tags.find((t: any) => t.key === k);
  assert.deepEqual(tag(root, "http.status_code"), {
    key: "http.status_code",
    type: "int64",
    value: 200,
  });
  assert.deepEqual(tag(root, "span.kind"), { key: "span.kind", type: "string", value: "server" });
  assert.deepEqual(tag(child, "cached"), { key: "cached", type: "bool", value: false });
  assert.deepEqual(tag(child, "ratio"), { key: "ratio", type: "float64", value: 0.5 });
  assert.deepEqual(tag(child, "error"), { key: "error", type: "bool", value: true });
  assert.deepEqual(tag(child, "otel.status_description"), {
    key: "otel.status_description",
    type: "string",
    value: "connection reset",
  });
  assert.deepEqual(tag(child, "otel.scope.version"), {
    key: "otel.scope.version",
    type: "string",
    value: "1.2.3",
  });
  assert.equal(child.logs[0].fields[0].value, "cache miss");
  assert.deepEqual(child.logs[0].fields[1], { key: "key", type: "string", value: "user:42" });
  assert.ok(child.startTime >= root.startTime && child.duration <= root.duration);
  const proc = tr.processes[root.processID];
  assert.equal(proc.serviceName, service);
  assert.ok(proc.tags.some((t: any) => t.key === "host.name" && t.value === "test-host"));
}

test("official exporters: protobuf, protobuf+gzip, JSON and gRPC all store the same trace", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  const url = `${v.otlpHttpUrl}/v1/traces`;
  const cases: Array<[string, any]> = [
    ["proto", new ProtoExporter({ url })],
    ["proto-gzip", new ProtoExporter({ url, compression: "gzip" as any })],
    ["json", new JsonExporter({ url })],
    ["json-gzip", new JsonExporter({ url, compression: "gzip" as any })],
    ["grpc", new GrpcExporter({ url: `http://${v.otlpGrpcAddress}` })],
  ];
  for (const [name, exporter] of cases) {
    const sent = await sendSdkTrace(exporter, `svc-${name}`);
    await assertStored(v.uiUrl, sent, `svc-${name}`);
  }
  const services = (await getJson(`${v.uiUrl}/api/services`)).body.data;
  assert.deepEqual(services, cases.map(([n]) => `svc-${n}`).sort());
});

test("protobuf answers: ExportTraceServiceResponse, partial success, google.rpc.Status on 400", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  const url = `${v.otlpHttpUrl}/v1/traces`;
  const good = {
    traceId: Buffer.alloc(16, 1),
    spanId: Buffer.alloc(8, 2),
    name: "ok",
    startTimeUnixNano: 1,
    endTimeUnixNano: 2,
  };
  const bad = { traceId: Buffer.alloc(16, 0), spanId: Buffer.alloc(8, 3), name: "zero trace id" };
  const msg = ExportTraceServiceRequest.fromObject({
    resourceSpans: [{ scopeSpans: [{ spans: [good, bad] }] }],
  });
  const body = ExportTraceServiceRequest.encode(msg).finish();
  let r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body,
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/x-protobuf");
  const resp: any = ExportTraceServiceResponse.decode(new Uint8Array(await r.arrayBuffer()));
  assert.equal(Number(resp.partialSuccess.rejectedSpans), 1);
  assert.match(resp.partialSuccess.errorMessage, /traceId/);
  assert.equal(v.store.reader.stats().spanCount, 1);

  r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body: Buffer.from([0x0a, 0xff, 0xff, 0xff]),
  });
  assert.equal(r.status, 400);
  const st: any = RpcStatus.decode(new Uint8Array(await r.arrayBuffer()));
  assert.equal(st.code, 3);
  assert.match(st.message, /protobuf/);
  assert.equal(v.store.reader.stats().spanCount, 1, "a malformed body stores nothing");
});

test("JSON answers: hex ids, partial success, 400 for malformed JSON and shapes", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  const req = jsonRequest("json-svc", [
    {
      traceId: hexId(7, 16),
      spanId: hexId(1, 8),
      name: "fine",
      startNs: 1_700_000_000_000_000_000n,
      durationNs: 5_000_000n,
    },
    { traceId: "not-hex", spanId: hexId(2, 8), name: "bad id", startNs: 1n, durationNs: 1n },
  ]);
  let r = await postJson(v.otlpHttpUrl, req);
  assert.equal(r.status, 200);
  assert.deepEqual(((await r.json()) as any).partialSuccess.rejectedSpans, "1");
  const stored = (await getJson(`${v.uiUrl}/api/traces/${hexId(7, 16)}`)).body.data[0].spans[0];
  assert.equal(stored.startTime, 1_700_000_000_000_000);
  assert.equal(stored.duration, 5000);

  r = await postJson(v.otlpHttpUrl, { resourceSpans: [] });
  assert.deepEqual(await r.json(), {}, "full success has no partialSuccess");
  for (const body of ["{not json", "[1,2]", JSON.stringify({ resourceSpans: "x" })]) {
    r = await fetch(`${v.otlpHttpUrl}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(r.status, 400, body);
    assert.equal(((await r.json()) as any).code, 3);
  }
  r = await fetch(`${v.otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    body: Buffer.from("definitely not gzip"),
  });
  assert.equal(r.status, 400);
  const gz = gzipSync(
    JSON.stringify(
      jsonRequest("gz-svc", [
        { traceId: hexId(8, 16), spanId: hexId(1, 8), name: "z", startNs: 10n, durationNs: 1n },
      ]),
    ),
  );
  r = await fetch(`${v.otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    body: gz,
  });
  assert.equal(r.status, 200);
  assert.equal((await getJson(`${v.uiUrl}/api/traces/${hexId(8, 16)}`)).status, 200);
});

test("415 for other media types, 405 for other methods, 404 elsewhere", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  const url = `${v.otlpHttpUrl}/v1/traces`;
  let r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: "x",
  });
  assert.equal(r.status, 415);
  r = await fetch(url);
  assert.equal(r.status, 405);
  assert.match(r.headers.get("allow") ?? "", /POST/);
  r = await fetch(`${v.otlpHttpUrl}/v1/metrics`, { method: "POST", body: "x" });
  assert.equal(r.status, 404);
});

test("413 as soon as a streamed body passes the cap, and for gzip bombs", async (t) => {
  const cap = 64 * 1024;
  const v = await testViewer({ maxBodyBytes: cap });
  t.after(() => v.close());
  const { port } = new URL(v.otlpHttpUrl);
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const total = 400; // 6.4 MB if the server let us finish
  const result = await new Promise<{ status: number; sentWhenAnswered: number }>(
    (resolve, reject) => {
      let sent = 0;
      const req = http.request({
        host: "127.0.0.1",
        port,
        path: "/v1/traces",
        method: "POST",
        headers: { "content-type": "application/x-protobuf" },
      });
      req.on("response", (res) => {
        resolve({ status: res.statusCode ?? 0, sentWhenAnswered: sent });
        res.resume();
        req.destroy();
      });
      req.on("error", (e) => (sent >= total ? reject(e) : undefined));
      const pump = () => {
        if (sent >= total) return req.end();
        sent++;
        req.write(chunk, () => setTimeout(pump, 2));
      };
      pump();
    },
  );
  assert.equal(result.status, 413);
  assert.ok(
    result.sentWhenAnswered < total / 2,
    `answered after ${result.sentWhenAnswered} of ${total} chunks`,
  );

  const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
  assert.ok(bomb.length < cap);
  const r = await fetch(`${v.otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip" },
    body: bomb,
  });
  assert.equal(r.status, 413);
  assert.equal(v.store.reader.stats().spanCount, 0);
});
