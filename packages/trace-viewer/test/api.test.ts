// Jaeger query API (v1 JSON and v3 OTLP JSON) checked against Jaeger's documented shapes, the
// live tail, static UI serving, the read-only and DNS-rebinding guards, and XSS payloads.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { parseDuration, parseRfc3339 } from "../src/query-params.ts";
import { getJson, hexId, jsonRequest, postJson, tempDir, testViewer } from "./helpers.ts";

const T0 = 1_760_000_000_000_000_000n; // ns
const MS = 1_000_000n;
const TRACE_A = hexId(0xa, 16);
const TRACE_B = "5b8efff798038103d269b633813fc60c";
const XSS = `<img src=x onerror="alert(1)"><script>alert('x')</script>\u001b[31m`;

async function seeded(t: { after: (fn: () => Promise<void>) => void }, opts = {}) {
  const v = await testViewer({ otlpGrpc: false, ...opts });
  t.after(() => v.close());
  const str = (s: string) => ({ stringValue: s });
  await postJson(
    v.otlpHttpUrl,
    jsonRequest("frontend", [
      {
        traceId: TRACE_A,
        spanId: hexId(1, 8),
        name: "GET /",
        startNs: T0,
        durationNs: 120n * MS,
        attributes: [{ key: "http.route", value: str("/") }],
      },
      {
        traceId: TRACE_B,
        spanId: hexId(5, 8),
        name: "GET /slow",
        startNs: T0 + 1000n * MS,
        durationNs: 1500n * MS,
        attributes: [{ key: "customer", value: str("acme") }],
      },
    ]),
  );
  const redis = jsonRequest("redis", [
    {
      traceId: TRACE_A,
      spanId: hexId(2, 8),
      parentSpanId: hexId(1, 8),
      name: "GET",
      startNs: T0 + 10n * MS,
      durationNs: 5n * MS,
      attributes: [
        { key: "db.key", value: str("user:1") },
        { key: "hits", value: { intValue: "3" } },
      ],
    },
  ]);
  redis.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.kind = 3;
  await postJson(v.otlpHttpUrl, redis);
  await postJson(
    v.otlpHttpUrl,
    jsonRequest(XSS, [
      {
        traceId: hexId(0xe, 16),
        spanId: hexId(9, 8),
        name: XSS,
        startNs: T0,
        durationNs: MS,
        attributes: [{ key: XSS, value: str(XSS) }],
      },
    ]),
  );
  return v;
}

const range = `start=${T0 / 1000n - 1000n}&end=${T0 / 1000n + 10_000_000n}`;

test("v1 envelope, services, operations and /api/operations with spanKind", async (t) => {
  const v = await seeded(t);
  const s = await getJson(`${v.uiUrl}/api/services`);
  assert.deepEqual(Object.keys(s.body).sort(), ["data", "errors", "limit", "offset", "total"]);
  assert.deepEqual(s.body.data, [XSS, "frontend", "redis"].sort());
  assert.equal(s.body.total, 3);
  assert.equal(s.body.errors, null);
  assert.deepEqual((await getJson(`${v.uiUrl}/api/services/frontend/operations`)).body.data, [
    "GET /",
    "GET /slow",
  ]);
  const ops = (await getJson(`${v.uiUrl}/api/operations?service=redis&spanKind=client`)).body.data;
  assert.deepEqual(ops, [{ name: "GET", spanKind: "client" }]);
  assert.deepEqual(
    (await getJson(`${v.uiUrl}/api/operations?service=redis&spanKind=server`)).body.data,
    [],
  );
  const bad = await getJson(`${v.uiUrl}/api/operations?service=redis&spanKind=sideways`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errors[0].code, 400);
});

test("v1 trace JSON has Jaeger's shape: µs times, typed tags, processes, references", async (t) => {
  const v = await seeded(t);
  const r = await getJson(`${v.uiUrl}/api/traces/${TRACE_A}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
  const tr = r.body.data[0];
  assert.deepEqual(Object.keys(tr).sort(), ["processes", "spans", "traceID", "warnings"]);
  assert.equal(
    tr.traceID,
    "000000000000000a".padStart(16, "0"),
    "a 64-bit id prints as 16 hex digits, as in Jaeger",
  );
  const [root, child] = tr.spans;
  // No "flags": the sender set none, and Jaeger omits a zero.
  assert.deepEqual(Object.keys(root).sort(), [
    "duration",
    "logs",
    "operationName",
    "processID",
    "references",
    "spanID",
    "startTime",
    "tags",
    "traceID",
    "warnings",
  ]);
  assert.equal(root.startTime, Number(T0 / 1000n));
  assert.equal(root.duration, 120_000);
  assert.deepEqual(child.references, [
    { refType: "CHILD_OF", traceID: tr.traceID, spanID: hexId(1, 8) },
  ]);
  assert.deepEqual(
    child.tags.find((x: any) => x.key === "hits"),
    { key: "hits", type: "int64", value: 3 },
  );
  assert.deepEqual(
    child.tags.find((x: any) => x.key === "span.kind"),
    { key: "span.kind", type: "string", value: "client" },
  );
  assert.notEqual(root.processID, child.processID);
  assert.equal(tr.processes[root.processID].serviceName, "frontend");
  assert.equal(tr.processes[child.processID].serviceName, "redis");
  assert.match(root.processID, /^p\d+$/);
  // A 16-digit id and the padded 32-digit form find the same trace.
  assert.equal((await getJson(`${v.uiUrl}/api/traces/${TRACE_A.slice(16)}`)).status, 200);
  const missing = await getJson(`${v.uiUrl}/api/traces/${hexId(0xdead, 16)}`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, {
    data: null,
    total: 0,
    limit: 0,
    offset: 0,
    errors: [{ code: 404, msg: "trace not found" }],
  });
  assert.equal((await getJson(`${v.uiUrl}/api/traces/xyz`)).status, 400);
});

test("v1 search: service, operation, tags, durations, time window, limit", async (t) => {
  const v = await seeded(t);
  const ids = async (q: string) => {
    const r = await getJson(`${v.uiUrl}/api/traces?${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.data.map((x: any) => x.traceID);
  };
  const a = TRACE_A.slice(16);
  assert.deepEqual(await ids(`service=frontend&${range}`), [TRACE_B, a], "newest first");
  assert.deepEqual(await ids(`service=frontend&${range}&limit=1`), [TRACE_B]);
  assert.deepEqual(await ids(`service=frontend&operation=GET%20%2F&${range}`), [a]);
  assert.deepEqual(await ids(`service=frontend&${range}&minDuration=1.2s`), [TRACE_B]);
  assert.deepEqual(await ids(`service=frontend&${range}&maxDuration=200ms`), [a]);
  assert.deepEqual(
    await ids(`service=frontend&${range}&tags=${encodeURIComponent('{"customer":"acme"}')}`),
    [TRACE_B],
  );
  assert.deepEqual(await ids(`service=redis&${range}&tag=db.key:user:1&tag=hits:3`), [a]);
  assert.deepEqual(
    await ids(`service=redis&${range}&tags=${encodeURIComponent('{"span.kind":"client"}')}`),
    [a],
  );
  assert.deepEqual(
    await ids(`service=frontend&${range}&tags=${encodeURIComponent('{"customer":"other"}')}`),
    [],
  );
  assert.deepEqual(await ids(`service=frontend&start=1&end=2`), []);
  assert.deepEqual(
    await ids(`service=frontend&lookback=1h`),
    [],
    "the seeded spans are older than an hour",
  );
  assert.deepEqual(await ids(`traceID=${TRACE_B}`), [TRACE_B]);
  const noService = await getJson(`${v.uiUrl}/api/traces?${range}`);
  assert.equal(noService.status, 400);
  assert.match(noService.body.errors[0].msg, /service/);
  const badDur = await getJson(`${v.uiUrl}/api/traces?service=frontend&minDuration=fast`);
  assert.equal(badDur.status, 400);
  assert.match(badDur.body.errors[0].msg, /minDuration/);
});

test("a whole trace equals the JSON Jaeger's OTLP translation gives", async (t) => {
  const v = await testViewer({ otlpGrpc: false });
  t.after(() => v.close());
  const traceId = "83a9efd15c1c98a977e0711cc93ee28b";
  const span = (spanId: string, extra: object) => ({
    traceId,
    spanId,
    name: "lookup",
    kind: 3,
    startTimeUnixNano: "1706678909209712000",
    endTimeUnixNano: "1706678909209835000",
    flags: 0x301,
    attributes: [
      { key: "peer.service", value: { stringValue: "cache" } },
      { key: "retries", value: { intValue: "2" } },
      { key: "hit", value: { boolValue: false } },
    ],
    events: [
      {
        timeUnixNano: "1706678909209800000",
        name: "evicted",
        attributes: [{ key: "bytes", value: { doubleValue: 1.5 } }],
      },
    ],
    ...extra,
  });
  const req = {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "shop" } },
            { key: "host.name", value: { stringValue: "box" } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: "shop-lib", version: "2.0" },
            spans: [
              span("e127af99e3b3e074", {
                parentSpanId: "909541b92cf05311",
                status: { code: 2, message: "timeout" },
              }),
              span("909541b92cf05311", {
                kind: 2,
                name: "GET /cart",
                events: [],
                attributes: [],
                status: { code: 1 },
                flags: 0,
              }),
            ],
          },
        ],
      },
    ],
  };
  assert.equal((await postJson(v.otlpHttpUrl, req)).status, 200);
  const body = (await getJson(`${v.uiUrl}/api/traces/${traceId}`)).body;
  const s = (k: string, value: string) => ({ key: k, type: "string", value });
  const scope = [s("otel.scope.name", "shop-lib"), s("otel.scope.version", "2.0")];
  assert.deepEqual(body, {
    data: [
      {
        traceID: traceId,
        spans: [
          {
            traceID: traceId,
            spanID: "e127af99e3b3e074",
            operationName: "lookup",
            references: [{ refType: "CHILD_OF", traceID: traceId, spanID: "909541b92cf05311" }],
            flags: 1,
            startTime: 1706678909209712,
            duration: 123,
            tags: [
              ...scope,
              s("peer.service", "cache"),
              { key: "retries", type: "int64", value: 2 },
              { key: "hit", type: "bool", value: false },
              s("span.kind", "client"),
              s("otel.status_code", "ERROR"),
              { key: "error", type: "bool", value: true },
              s("otel.status_description", "timeout"),
            ],
            logs: [
              {
                timestamp: 1706678909209800,
                fields: [s("event", "evicted"), { key: "bytes", type: "float64", value: 1.5 }],
              },
            ],
            processID: "p1",
            warnings: null,
          },
          {
            traceID: traceId,
            spanID: "909541b92cf05311",
            operationName: "GET /cart",
            references: [],
            startTime: 1706678909209712,
            duration: 123,
            tags: [...scope, s("span.kind", "server"), s("otel.status_code", "OK")],
            logs: [],
            processID: "p1",
            warnings: null,
          },
        ],
        processes: { p1: { serviceName: "shop", tags: [s("host.name", "box")] } },
        warnings: null,
      },
    ],
    total: 0,
    limit: 0,
    offset: 0,
    errors: null,
  });
});

test("dependencies between services", async (t) => {
  const v = await seeded(t);
  const endTs = Number(T0 / MS) + 10_000;
  const r = await getJson(`${v.uiUrl}/api/dependencies?endTs=${endTs}&lookback=60000`);
  assert.deepEqual(r.body.data, [{ parent: "frontend", child: "redis", callCount: 1 }]);
  const before = await getJson(
    `${v.uiUrl}/api/dependencies?endTs=${Number(T0 / MS) - 1}&lookback=1000`,
  );
  assert.deepEqual(before.body.data, []);
});

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
