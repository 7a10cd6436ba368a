// Zipkin ingest on 9411: @opentelemetry/exporter-zipkin (v2 JSON) sending real SDK spans, v2
// protobuf (zipkin-api's ListOfSpans field numbers) and v1 JSON; bad bodies answered 400.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ZipkinExporter } from "@opentelemetry/exporter-zipkin";
import protobuf from "protobufjs";
import { getJson, protocolsOn, sendSdkTrace, tag, testViewer, waitForTrace } from "./helpers.ts";

test("@opentelemetry/exporter-zipkin (v2 JSON) on 9411; v2 protobuf and v1 JSON; bad JSON is a 400", async (t) => {
  const v = await testViewer({ otlpGrpc: false, ...protocolsOn });
  t.after(() => v.close());
  const sent = await sendSdkTrace(
    new ZipkinExporter({ url: `${v.protocols.zipkin}/api/v2/spans`, serviceName: "zipkin-svc" }),
    "zipkin-svc",
  );
  const tr = await waitForTrace(v.uiUrl, sent.traceId, 2);
  const root = tr.spans.find((s: any) => s.spanID === sent.rootSpanId);
  const child = tr.spans.find((s: any) => s.spanID === sent.childSpanId);
  assert.equal(tr.processes[root.processID].serviceName, "zipkin-svc");
  assert.equal(root.operationName, "GET /users/:id");
  assert.equal(tag(root, "span.kind").value, "server");
  assert.equal(tag(child, "span.kind").value, "client");
  assert.deepEqual(child.references[0], {
    refType: "CHILD_OF",
    traceID: sent.traceId,
    spanID: sent.rootSpanId,
  });
  assert.equal(tag(child, "otel.status_code").value, "ERROR");
  assert.equal(tag(child, "error").value, true);
  assert.equal(tag(child, "otel.status_description").value, "connection reset");
  assert.equal(tag(child, "db.system").value, "redis");
  assert.equal(child.logs[0].fields[0].value, "cache miss");

  // v2 protobuf (ListOfSpans: field numbers of zipkin-api's zipkin.proto).
  const w = protobuf.Writer.create();
  const span = protobuf.Writer.create();
  span.uint32(10).bytes(Buffer.from("00000000000000000000000000000abc", "hex"));
  span.uint32(26).bytes(Buffer.from("0000000000000def", "hex"));
  span.uint32(32).int32(1); // CLIENT
  span.uint32(42).string("proto span");
  span.uint32(49).fixed64(1_760_000_000_000_000);
  span.uint32(56).uint64(42);
  const ep = protobuf.Writer.create().uint32(10).string("proto-svc").finish();
  span.uint32(66).bytes(ep);
  const tagEntry = protobuf.Writer.create().uint32(10).string("k").uint32(18).string("v").finish();
  span.uint32(90).bytes(tagEntry);
  w.uint32(10).bytes(span.finish());
  let r = await fetch(`${v.protocols.zipkin}/api/v2/spans`, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body: w.finish(),
  });
  assert.equal(r.status, 202);
  const p = (await getJson(`${v.uiUrl}/api/traces/abc`)).body.data[0];
  assert.equal(p.spans[0].operationName, "proto span");
  assert.equal(p.spans[0].duration, 42);
  assert.equal(p.processes[p.spans[0].processID].serviceName, "proto-svc");
  assert.equal(tag(p.spans[0], "span.kind").value, "client");
  assert.equal(tag(p.spans[0], "k").value, "v");

  // v1 JSON: kind and service from the core annotations, tags from binary annotations.
  const ep1 = { serviceName: "v1-svc", ipv4: "10.0.0.1", port: 80 };
  r = await fetch(`${v.protocols.zipkin}/api/v1/spans`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([
      {
        traceId: "0000000000000777",
        id: "0000000000000778",
        name: "v1 op",
        timestamp: 1_760_000_000_000_000,
        duration: 10,
        annotations: [
          { timestamp: 1_760_000_000_000_000, value: "sr", endpoint: ep1 },
          { timestamp: 1_760_000_000_000_005, value: "cache.hit", endpoint: ep1 },
          { timestamp: 1_760_000_000_000_010, value: "ss", endpoint: ep1 },
        ],
        binaryAnnotations: [{ key: "http.path", value: "/x", endpoint: ep1 }],
      },
    ]),
  });
  assert.equal(r.status, 202);
  const s1 = (await getJson(`${v.uiUrl}/api/traces/777`)).body.data[0];
  assert.equal(s1.processes[s1.spans[0].processID].serviceName, "v1-svc");
  assert.equal(tag(s1.spans[0], "span.kind").value, "server");
  assert.equal(tag(s1.spans[0], "http.path").value, "/x");
  assert.equal(s1.spans[0].logs[0].fields[0].value, "cache.hit");

  const before = v.store.reader.stats().spanCount;
  for (const body of ["{not json", '{"an":"object"}']) {
    r = await fetch(`${v.protocols.zipkin}/api/v2/spans`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(r.status, 400, body);
    assert.equal(r.headers.get("retry-after"), null);
  }
  assert.equal(v.store.reader.stats().spanCount, before);
});
