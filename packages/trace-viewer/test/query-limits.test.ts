// What one API request may cost: repeated trace ids are looked up once, ids per request and spans
// per answer are capped (with Jaeger's warnings), big answers stream from worker threads with
// backpressure while ingest goes on, and a query past its time limit is stopped.
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import { getJson, hexId, jsonRequest, postJson, tempDir, testViewer } from "./helpers.ts";

const T0 = 1_760_000_000_000_000_000n;
const MS = 1_000_000n;
const BIG = hexId(0xb16, 16);

function bigTrace(n: number, traceId = BIG) {
  return jsonRequest(
    "big",
    Array.from({ length: n }, (_, i) => ({
      traceId,
      spanId: hexId(i + 1, 8),
      ...(i > 0 ? { parentSpanId: hexId(1, 8) } : {}),
      name: i === 0 ? "root" : `child-${i % 5}`,
      startNs: T0 + BigInt(i) * MS,
      durationNs: MS,
      attributes: [{ key: "i", value: { intValue: String(i) } }],
    })),
  );
}

const range = `start=${T0 / 1000n - 1000n}&end=${T0 / 1000n + 10_000_000_000n}`;

test("a trace id repeated 300 times is fetched once; more than 100 distinct ids is a 400", async (t) => {
  const v = await testViewer({ otlpGrpc: false });
  t.after(() => v.close());
  assert.equal((await postJson(v.otlpHttpUrl, bigTrace(50))).status, 200);
  const repeated = Array.from({ length: 300 }, () => `traceID=${BIG}`).join("&");
  const r = await getJson(`${v.uiUrl}/api/traces?${repeated}&traceID=${BIG.toUpperCase()}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.data.length, 1);
  assert.equal(r.body.data[0].spans.length, 50);
  const many = Array.from({ length: 101 }, (_, i) => `traceID=${hexId(i + 1, 16)}`).join("&");
  const tooMany = await getJson(`${v.uiUrl}/api/traces?${many}`);
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.body.errors[0].msg, /PERISCOPE_VIEWER_TOO_MANY_IDS/);
});

test("spans per answer are capped, with a warning on the trace; search answers carry fewer", async (t) => {
  const v = await testViewer({
    otlpGrpc: false,
    queryLimits: { maxSpans: 40, searchSpansPerTrace: 10 },
  });
  t.after(() => v.close());
  await postJson(v.otlpHttpUrl, bigTrace(120));
  const other = hexId(0xc0ffee, 16);
  await postJson(v.otlpHttpUrl, bigTrace(30, other));
  const one = await getJson(`${v.uiUrl}/api/traces/${BIG}`);
  assert.equal(one.status, 200);
  const tr = one.body.data[0];
  assert.equal(tr.spans.length, 40);
  assert.equal(tr.spans[0].operationName, "root", "oldest spans first");
  assert.match(tr.warnings[0], /PERISCOPE_VIEWER_TRUNCATED: .*first 40 spans/);
  assert.deepEqual(Object.keys(tr.processes), ["p1"]);

  const both = await getJson(`${v.uiUrl}/api/traces?traceID=${BIG}&traceID=${other}`);
  const counts = both.body.data.map((x: any) => x.spans.length);
  assert.ok(counts[0] + counts[1] <= 41, `answer holds ${counts} spans`);

  const found = await getJson(`${v.uiUrl}/api/traces?service=big&${range}&limit=5`);
  assert.equal(found.body.data.length, 2);
  for (const x of found.body.data) {
    assert.equal(x.spans.length, 10);
    assert.match(x.warnings[0], /first 10 spans/);
  }
  const v3 = await getJson(`${v.uiUrl}/api/v3/traces/${BIG}`);
  const spans = v3.body.result.resourceSpans.flatMap((rs: any) =>
    rs.scopeSpans.flatMap((s: any) => s.spans),
  );
  assert.equal(spans.length, 40);
});

test("file store: a big answer streams from a worker while ingest and small queries go on", async (t) => {
  const v = await testViewer({ otlpGrpc: false, dataDir: tempDir(t), retentionMs: 0 });
  t.after(() => v.close());
  const n = 4000;
  // Sent in slices so each request stays small.
  for (let i = 0; i < n; i += 1000) {
    const req = bigTrace(n);
    const scope = req.resourceSpans[0]!.scopeSpans[0]!;
    scope.spans = scope.spans.slice(i, i + 1000);
    assert.equal((await postJson(v.otlpHttpUrl, req)).status, 200);
  }
  const whole = await getJson(`${v.uiUrl}/api/traces/${BIG}`);
  assert.equal(whole.status, 200);
  assert.equal(whole.body.data[0].spans.length, n);
  assert.equal(whole.headers.get("content-length"), null, "streamed, not one string");
  // The query thread reports the heap the answer used, under its enforced cap.
  const info = (await getJson(`${v.uiUrl}/api/periscope/info`)).body;
  assert.equal(info.queryHeapLimitBytes, 256 * 1024 ** 2);
  assert.ok(info.queryHeapPeakBytes > 0 && info.queryHeapPeakBytes < info.queryHeapLimitBytes);

  // A client that asks for the trace and then reads nothing: the worker waits on backpressure.
  const { port } = new URL(v.uiUrl);
  const stalled = http.get({ host: "127.0.0.1", port, path: `/api/traces/${BIG}` });
  const response = await new Promise<http.IncomingMessage>((r) => stalled.once("response", r));
  response.pause();
  assert.equal(response.statusCode, 200);
  // Meanwhile ingest is acknowledged and other queries answer.
  const late = hexId(0x1a7e, 16);
  assert.equal((await postJson(v.otlpHttpUrl, bigTrace(3, late))).status, 200);
  assert.deepEqual((await getJson(`${v.uiUrl}/api/services`)).body.data, ["big"]);
  assert.equal((await getJson(`${v.uiUrl}/api/traces/${late}`)).body.data[0].spans.length, 3);
  stalled.destroy();
});

test("a query that runs past --query-timeout is stopped with 503 and the next one works", async (t) => {
  const v = await testViewer({
    otlpGrpc: false,
    dataDir: tempDir(t),
    retentionMs: 0,
    queryTimeoutMs: 1,
  });
  t.after(() => v.close());
  await postJson(v.otlpHttpUrl, bigTrace(3000));
  const r = await getJson(`${v.uiUrl}/api/traces/${BIG}`).catch(() => null);
  // Either the 503 arrived before any byte, or the stream was cut (the fetch fails).
  if (r) {
    assert.equal(r.status, 503);
    assert.match(r.body.errors[0].msg, /PERISCOPE_VIEWER_QUERY_TIMEOUT/);
  }
  assert.equal((await getJson(`${v.uiUrl}/api/services`)).status, 200);
});
