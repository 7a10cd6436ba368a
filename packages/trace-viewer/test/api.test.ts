// Jaeger query API v1 checked against Jaeger's documented JSON shapes: envelope, services and
// operations, traces, search and dependencies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MS, range, seeded, T0, TRACE_A, TRACE_B, XSS } from "./api-seed.ts";
import { getJson, hexId, postJson, testViewer } from "./helpers.ts";

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
  // raw=true: the translation alone, before Jaeger's adjusters (which sort tags; see below).
  const body = (await getJson(`${v.uiUrl}/api/traces/${traceId}?raw=true`)).body;
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
  // Jaeger's link shape, plus the errors among those calls.
  assert.deepEqual(r.body.data, [
    { parent: "frontend", child: "redis", callCount: 1, errorCount: 0 },
  ]);
  // Counted per minute: a window that ends before the span's minute does not see it.
  const minute = Math.floor(Number(T0 / MS) / 60e3) * 60e3;
  const before = await getJson(`${v.uiUrl}/api/dependencies?endTs=${minute - 1}&lookback=60000`);
  assert.deepEqual(before.body.data, []);
  const bad = await getJson(`${v.uiUrl}/api/dependencies?endTs=soon`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.errors[0].msg, /endTs/);
});
