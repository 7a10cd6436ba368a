// Jaeger query API v3 (OTLP JSON), the live tail, static UI serving, the read-only and
// DNS-rebinding guards, XSS payloads, and Jaeger's duration strings.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { parseDuration, parseRfc3339 } from "../src/query/params.ts";
import { MS, seeded, T0, TRACE_A, TRACE_B, XSS } from "./api-seed.ts";
import { getJson, hexId, jsonRequest, postJson, tempDir, testViewer } from "./helpers.ts";

test("v3: services, operations, traces as OTLP JSON, trace-summaries, errors", async (t) => {
  const v = await seeded(t);
  assert.deepEqual((await getJson(`${v.uiUrl}/api/v3/services`)).body, {
    services: [XSS, "frontend", "redis"].sort(),
  });
  assert.deepEqual((await getJson(`${v.uiUrl}/api/v3/operations?service=redis`)).body, {
    operations: [{ name: "GET", spanKind: "client" }],
  });
  const one = await getJson(`${v.uiUrl}/api/v3/traces/${TRACE_A}`);
  const rs = one.body.result.resourceSpans;
  assert.equal(rs.length, 2);
  const span = rs.find((x: any) => x.resource.attributes[0].value.stringValue === "redis")
    .scopeSpans[0].spans[0];
  assert.equal(span.traceId, TRACE_A);
  assert.equal(span.parentSpanId, hexId(1, 8));
  assert.equal(span.kind, 3);
  assert.equal(span.startTimeUnixNano, String(T0 + 10n * MS));
  assert.deepEqual(span.attributes[1], { key: "hits", value: { intValue: "3" } });
  const win = "query.startTimeMin=2025-10-01T00:00:00Z&query.startTimeMax=2025-10-31T00:00:00Z";
  assert.equal(parseRfc3339("2025-10-09T08:53:20Z", "x") * 1000, Number(T0 / 1000n) * 1000);
  const found = await getJson(
    `${v.uiUrl}/api/v3/traces?query.serviceName=frontend&${win}&query.durationMin=1s`,
  );
  const foundIds = found.body.result.resourceSpans.flatMap((x: any) =>
    x.scopeSpans.flatMap((s: any) => s.spans.map((y: any) => y.traceId)),
  );
  assert.deepEqual(foundIds, [TRACE_B]);
  const sums = await getJson(
    `${v.uiUrl}/api/v3/trace-summaries?query.service_name=frontend&query.start_time_min=2025-10-01T00:00:00Z&query.start_time_max=2025-10-31T00:00:00Z`,
  );
  const sa = sums.body.summaries.find((x: any) => x.traceId === TRACE_A);
  assert.deepEqual(sa, {
    traceId: TRACE_A,
    rootServiceName: "frontend",
    rootOperationName: "GET /",
    minStartTimeUnixNano: String(T0),
    maxEndTimeUnixNano: String(T0 + 120n * MS),
    spanCount: 2,
    errorSpanCount: 0,
    services: [
      { name: "frontend", spanCount: 1, errorSpanCount: 0 },
      { name: "redis", spanCount: 1, errorSpanCount: 0 },
    ],
  });
  const none = await getJson(`${v.uiUrl}/api/v3/traces?query.serviceName=nobody&${win}`);
  assert.deepEqual(none, {
    ...none,
    status: 404,
    body: { error: { httpCode: 404, message: "No traces found" } },
  });
  const noWin = await getJson(`${v.uiUrl}/api/v3/traces?query.serviceName=frontend`);
  assert.equal(noWin.status, 400);
  assert.match(noWin.body.error.message, /startTimeMin/);
});

test("live tail returns traces with new spans after the cursor", async (t) => {
  const v = await seeded(t);
  const first = (await getJson(`${v.uiUrl}/api/periscope/tail?limit=10`)).body;
  assert.equal(first.data.length, 3);
  assert.ok(
    first.data.every(
      (x: any) => typeof x.startTime === "number" && typeof x.spanCount === "number",
    ),
  );
  const again = (await getJson(`${v.uiUrl}/api/periscope/tail?since=${first.cursor}`)).body;
  assert.deepEqual(again.data, []);
  await postJson(
    v.otlpHttpUrl,
    jsonRequest("frontend", [
      { traceId: hexId(0xf, 16), spanId: hexId(1, 8), name: "new", startNs: T0, durationNs: MS },
    ]),
  );
  const next = (await getJson(`${v.uiUrl}/api/periscope/tail?since=${first.cursor}`)).body;
  assert.deepEqual(
    next.data.map((x: any) => [x.traceID, x.rootOperationName, x.spanCount]),
    [["000000000000000f", "new", 1]],
  );
  assert.ok(Number(next.cursor) > Number(first.cursor));
});

test("XSS payloads come back as inert JSON, never as HTML", async (t) => {
  const v = await seeded(t);
  const r = await fetch(`${v.uiUrl}/api/traces/${hexId(0xe, 16)}`);
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  assert.match(r.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  const text = await r.text();
  assert.ok(!text.includes("<"), "no raw < in the body");
  assert.ok(!text.includes(">"), "no raw > in the body");
  const span = JSON.parse(text).data[0].spans[0];
  assert.equal(span.operationName, XSS, "the payload round-trips unchanged");
  assert.deepEqual(
    span.tags.find((x: any) => x.key === XSS),
    { key: XSS, type: "string", value: XSS },
  );
  const byName = await getJson(`${v.uiUrl}/api/services/${encodeURIComponent(XSS)}/operations`);
  assert.deepEqual(byName.body.data, [XSS]);
  // Error messages do not echo the request.
  const err = await fetch(`${v.uiUrl}/api/traces?service=x&minDuration=${encodeURIComponent(XSS)}`);
  assert.equal(err.status, 400);
  assert.ok(!(await err.text()).includes("<"));
});

test("the query API is read-only and answers only loopback Host names", async (t) => {
  const v = await seeded(t);
  const before = v.store.reader.stats();
  for (const method of ["POST", "PUT", "DELETE"]) {
    const r = await fetch(`${v.uiUrl}/api/traces`, {
      method,
      body: method === "DELETE" ? undefined : "{}",
    });
    assert.equal(r.status, 405);
    assert.equal(((await r.json()) as any).errors[0].code, 405);
  }
  assert.deepEqual(v.store.reader.stats(), before);
  const { port } = new URL(v.uiUrl);
  const status = await new Promise<number>((resolve, reject) => {
    http
      .get(
        { host: "127.0.0.1", port, path: "/api/services", headers: { host: "evil.example:80" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on("error", reject);
  });
  assert.equal(status, 421);
});

test("web UI files with SPA fallback, and a plain page when the UI is not built", async (t) => {
  const dist = join(tempDir(t), "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>ui</title>");
  writeFileSync(join(dist, "assets", "app-1234.js"), "console.log(1)");
  const v = await testViewer({ otlpGrpc: false, distDir: dist });
  t.after(() => v.close());
  for (const p of ["/", "/search?service=x", `/trace/${TRACE_A}`, "/trace/abc...def", "/tail"]) {
    const r = await fetch(v.uiUrl + p);
    assert.equal(r.status, 200, p);
    assert.equal(await r.text(), "<!doctype html><title>ui</title>", p);
    assert.match(r.headers.get("content-type") ?? "", /text\/html/);
  }
  const js = await fetch(`${v.uiUrl}/assets/app-1234.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type") ?? "", /javascript/);
  assert.match(js.headers.get("cache-control") ?? "", /immutable/);
  assert.equal((await fetch(`${v.uiUrl}/assets/nope.js`)).status, 404);
  assert.equal((await fetch(`${v.uiUrl}/assets/..%2f..%2fetc%2fpasswd`)).status, 404);

  const bare = await testViewer({
    otlpGrpc: false,
    otlpHttp: false,
    distDir: join(dist, "missing"),
  });
  t.after(() => bare.close());
  const r = await fetch(`${bare.uiUrl}/search`);
  assert.equal(r.status, 503);
  assert.match(r.headers.get("content-type") ?? "", /text\/plain/);
  assert.match(await r.text(), /npm run build -w @periscope\/trace-viewer/);
});

test("Go duration strings as the Jaeger UI sends them", () => {
  assert.equal(parseDuration("1.2s", "d"), 1_200_000);
  assert.equal(parseDuration("100ms", "d"), 100_000);
  assert.equal(parseDuration("1h30m", "d"), 5_400_000_000);
  assert.equal(parseDuration("250us", "d"), 250);
  assert.equal(parseDuration("2d", "d"), 172_800_000_000);
  assert.throws(() => parseDuration("12", "d"), /expected a duration/);
  assert.throws(() => parseDuration("1.2sx", "d"), /expected a duration/);
});
