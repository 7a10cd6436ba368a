// Safe defaults on every port: no CORS unless --cors-origin names the origin, Host checks on the
// OTLP port as on the UI port, cross-site browser loads of the API refused, and a body whose
// values cannot be decoded answered 400 (not a retryable 503).
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { parseOrigin } from "../src/cli.ts";
import { getJson, hexId, jsonRequest, testViewer } from "./helpers.ts";

function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const oneSpan = (n: number) =>
  JSON.stringify(
    jsonRequest("guarded", [
      {
        traceId: hexId(n, 16),
        spanId: hexId(1, 8),
        name: "op",
        startNs: 1_700_000_000_000_000_000n,
        durationNs: 1000n,
      },
    ]),
  );

test("OTLP/HTTP: no CORS by default, as the Collector; --cors-origin allows exactly that origin", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  const url = `${v.otlpHttpUrl}/v1/traces`;
  const preflight = {
    origin: "http://localhost:3000",
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, x-evil",
  };
  let r = await raw(url, "OPTIONS", preflight);
  assert.equal(r.status, 403);
  assert.equal(r.headers["access-control-allow-origin"], undefined);
  assert.match(r.text, /--cors-origin/);
  // A page that posts anyway (a "simple" request a browser would send without preflight).
  r = await raw(
    url,
    "POST",
    { origin: "http://evil.example", "content-type": "application/json" },
    oneSpan(1),
  );
  assert.equal(r.status, 403);
  assert.equal(v.store.reader.stats().spanCount, 0, "nothing stored from a foreign page");

  const allowed = await testViewer({ corsOrigins: ["http://localhost:3000"] });
  t.after(() => allowed.close());
  const aurl = `${allowed.otlpHttpUrl}/v1/traces`;
  r = await raw(aurl, "OPTIONS", preflight);
  assert.equal(r.status, 204);
  assert.equal(r.headers["access-control-allow-origin"], "http://localhost:3000");
  assert.doesNotMatch(String(r.headers["access-control-allow-headers"]), /x-evil/);
  r = await raw(
    aurl,
    "POST",
    { origin: "http://localhost:3000", "content-type": "application/json" },
    oneSpan(2),
  );
  assert.equal(r.status, 200);
  assert.equal(r.headers["access-control-allow-origin"], "http://localhost:3000");
  r = await raw(aurl, "OPTIONS", { ...preflight, origin: "http://localhost:3001" });
  assert.equal(r.status, 403);

  assert.equal(parseOrigin("http://localhost:3000"), "http://localhost:3000");
  assert.throws(() => parseOrigin("*"), /PERISCOPE_VIEWER_BAD_ORIGIN/);
  assert.throws(() => parseOrigin("http://a.example/path"), /PERISCOPE_VIEWER_BAD_ORIGIN/);
});

test("OTLP/HTTP on loopback answers only loopback Host names (DNS rebinding)", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  const url = `${v.otlpHttpUrl}/v1/traces`;
  const r = await raw(
    url,
    "POST",
    { host: "rebind.evil.example", "content-type": "application/json" },
    oneSpan(3),
  );
  assert.equal(r.status, 421);
  assert.equal(v.store.reader.stats().spanCount, 0);
  const ok = await raw(
    url,
    "POST",
    { host: "localhost", "content-type": "application/json" },
    oneSpan(4),
  );
  assert.equal(ok.status, 200);
});

test("UI port: a page on another site cannot load the API; links and same-origin use still work", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  const api = `${v.uiUrl}/api/services`;
  // What Chromium sends for <img src>/no-cors fetch from another site.
  let r = await raw(api, "GET", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" });
  assert.equal(r.status, 403);
  r = await raw(api, "GET", { origin: "http://evil.example", "sec-fetch-mode": "cors" });
  assert.equal(r.status, 403);
  r = await raw(`${v.uiUrl}/search`, "GET", {
    "sec-fetch-site": "cross-site",
    "sec-fetch-mode": "navigate",
  });
  assert.notEqual(r.status, 403, "a link from elsewhere still opens the UI");
  r = await raw(api, "GET", { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" });
  assert.equal(r.status, 200);
  assert.equal(
    (await getJson(api)).status,
    200,
    "programs (Grafana, curl) send no Sec-Fetch headers",
  );
});

test("values nested too deep are a malformed request: 400 without Retry-After, in JSON as in protobuf", async (t) => {
  const v = await testViewer();
  t.after(() => v.close());
  // Built as text: JSON.stringify itself would overflow the stack on such nesting.
  const depth = 20_000;
  const value = `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"leaf"}${"]}}".repeat(depth)}`;
  const span = JSON.stringify(
    jsonRequest("deep", [
      {
        traceId: hexId(9, 16),
        spanId: hexId(1, 8),
        name: "op",
        startNs: 1_700_000_000_000_000_000n,
        durationNs: 1000n,
        attributes: [{ key: "deep", value: { stringValue: "MARK" } }],
      },
    ]),
  );
  const body = span.replace('{"stringValue":"MARK"}', value);
  const r = await fetch(`${v.otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get("retry-after"), null);
  assert.match(((await r.json()) as { message: string }).message, /nest deeper/);
  assert.equal(v.store.reader.stats().spanCount, 0);
});

test("OTLP/gRPC refuses a message over 4 MiB (the Collector's default) with RESOURCE_EXHAUSTED", async (t) => {
  const v = await testViewer({ otlpHttp: false });
  t.after(() => v.close());
  const client = new grpc.Client(v.otlpGrpcAddress, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const call = (body: Buffer) =>
    new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        (err) => resolve(err),
      );
    });
  const big = await call(Buffer.alloc(4 * 1024 * 1024 + 16));
  assert.equal(big?.code, grpc.status.RESOURCE_EXHAUSTED);
  const empty = await call(Buffer.alloc(0));
  assert.equal(empty, null, "an empty export request is fine");
});
