// Jaeger's metrics API (/api/metrics/*) as Jaeger UI's Monitor tab calls it, answered from the
// aggregates: MetricFamily shape and names, rates, error ratios and quantiles per window, span
// kinds, operation grouping, parameter errors; on the in-memory store and through the file
// store's writer thread and query workers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getJson, hexId, postJson, tempDir, testViewer } from "./helpers.ts";

const T = Date.UTC(2026, 0, 15, 12); // ms, a minute boundary
const XSS = `<img src=x onerror="alert(1)">`;

/** A request of `n` spans of one operation in minute `minute`, every `errEvery`-th failing. */
function spans(
  service: string,
  name: string,
  minute: number,
  n: number,
  durMs: number,
  kind = 2,
  errEvery = 0,
) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: "t" },
            spans: Array.from({ length: n }, (_, i) => {
              const start = BigInt(T + minute * 60e3 + i * 10) * 1_000_000n;
              return {
                traceId: hexId(minute * 1000 + i + 1, 16),
                spanId: hexId(i + 1, 8),
                name,
                kind,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + BigInt(durMs) * 1_000_000n),
                ...(errEvery && i % errEvery === 0 ? { status: { code: 2 } } : {}),
              };
            }),
          },
        ],
      },
    ],
  };
}

async function seed(url: string) {
  // Minute 0: 60 GET of 10 ms (every 4th failing), 30 SET of 40 ms; minute 2: 6 GET of 100 ms.
  for (const body of [
    spans("shop", "GET", 0, 60, 10, 2, 4),
    spans("shop", "SET", 0, 30, 40),
    spans("shop", "GET", 2, 6, 100),
    spans("shop", "client-call", 0, 5, 1, 3),
    spans(XSS, XSS, 0, 1, 1),
  ]) {
    const r = await postJson(url, body);
    assert.equal(r.status, 200);
  }
}

const base = `endTs=${T + 4 * 60e3}&lookback=${4 * 60e3}&step=60000&ratePer=60000`;
const values = (m: any) =>
  m.metricPoints.map((p: any) => [(Date.parse(p.timestamp) - T) / 60e3, p.gaugeValue.doubleValue]);

for (const store of ["memory", "file"] as const) {
  test(`metrics API on the ${store} store: calls, errors, latencies, grouping, kinds`, async (t) => {
    const v = await testViewer(
      store === "file" ? { dataDir: tempDir(t), otlpGrpc: false } : { otlpGrpc: false },
    );
    t.after(() => v.close());
    await seed(v.otlpHttpUrl);
    const api = `${v.uiUrl}/api/metrics`;

    const calls = await getJson(`${api}/calls?service=shop&${base}`);
    assert.equal(calls.status, 200);
    assert.deepEqual(Object.keys(calls.body).sort(), ["help", "metrics", "name", "type"]);
    assert.equal(calls.body.name, "service_call_rate");
    assert.equal(calls.body.type, "GAUGE");
    assert.deepEqual(calls.body.metrics[0].labels, [{ name: "service_name", value: "shop" }]);
    // Server spans only (the default kind): minute 0 had 90, minute 2 had 6, per second.
    assert.deepEqual(values(calls.body.metrics[0]), [
      [1, 90 / 60],
      [2, 0],
      [3, 6 / 60],
      [4, 0],
    ]);

    const errors = await getJson(`${api}/errors?service=shop&${base}&groupByOperation=true`);
    assert.equal(errors.body.name, "service_operation_error_rate");
    const get = errors.body.metrics.find((m: any) => m.labels[1].value === "GET");
    assert.deepEqual(get.labels, [
      { name: "service_name", value: "shop" },
      { name: "operation", value: "GET" },
    ]);
    // A window without calls has no error rate (no point), as Prometheus gives none.
    assert.deepEqual(values(get), [
      [1, 15 / 60],
      [3, 0],
    ]);

    const p95 = await getJson(`${api}/latencies?service=shop&${base}&quantile=0.95`);
    assert.equal(p95.body.name, "service_latencies");
    assert.match(p95.body.help, /^0\.95th quantile/);
    const [first, third] = p95.body.metrics[0].metricPoints.map(
      (p: any) => p.gaugeValue.doubleValue,
    );
    assert.ok(Math.abs(first - 40) / 40 < 0.04, `p95 of minute 0 is 40 ms: ${first}`);
    assert.ok(Math.abs(third - 100) / 100 < 0.04, `p95 of minute 2 is 100 ms: ${third}`);
    const p50 = await getJson(`${api}/latencies?service=shop&${base}&quantile=0.5`);
    const m50 = p50.body.metrics[0].metricPoints[0].gaugeValue.doubleValue;
    assert.ok(Math.abs(m50 - 10) / 10 < 0.04, `p50 of minute 0 is 10 ms: ${m50}`);

    // A 10-minute rate window (Jaeger's default) averages over it.
    const wide = await getJson(
      `${api}/calls?service=shop&${base.replace("ratePer=60000", "ratePer=600000")}`,
    );
    assert.equal(wide.body.metrics[0].metricPoints.at(-1).gaugeValue.doubleValue, 96 / 600);

    // Span kinds by name or as Jaeger's enum; several are added up.
    const client = await getJson(`${api}/calls?service=shop&${base}&spanKind=SPAN_KIND_CLIENT`);
    assert.equal(client.body.metrics[0].metricPoints[0].gaugeValue.doubleValue, 5 / 60);
    const both = await getJson(`${api}/calls?service=shop&${base}&spanKind=client&spanKind=server`);
    assert.equal(both.body.metrics[0].metricPoints[0].gaugeValue.doubleValue, 95 / 60);

    // Hostile names come back as data, escaped by JSON only.
    const x = await getJson(
      `${api}/calls?service=${encodeURIComponent(XSS)}&${base}&groupByOperation=1`,
    );
    assert.deepEqual(x.body.metrics[0].labels, [
      { name: "service_name", value: XSS },
      { name: "operation", value: XSS },
    ]);
    assert.deepEqual((await getJson(`${api}/calls?service=nobody&${base}`)).body.metrics, []);

    const min = await getJson(`${api}/minstep`);
    assert.deepEqual(min.body, { data: 60000, total: 0, limit: 0, offset: 0, errors: null });
  });
}

test("Jaeger UI's Monitor requests, as its client writes them, read as its reducer reads them", async (t) => {
  const v = await testViewer({ otlpGrpc: false });
  t.after(() => v.close());
  await seed(v.otlpHttpUrl);
  // jaeger-ui's fetchMetrics: `service=NAME&` + query-string's sorted stringify of the payload
  // its ServicesView builds (quantile 0.95 or 0.5/0.75, step 1 min, ratePer 10 min, spanKind).
  const payload = `endTs=${T + 4 * 60e3}&lookback=3600000&ratePer=600000&spanKind=server&step=60000`;
  const get = async (path: string) => (await getJson(`${v.uiUrl}/api/metrics/${path}`)).body;
  for (const quantile of [0.5, 0.75, 0.95]) {
    const m = await get(`latencies?service=shop&${payload}&quantile=${quantile}`);
    // Its reducer: metrics[0].labels[0].value is the service, points' doubleValue.toFixed(2).
    assert.equal(m.name, "service_latencies");
    assert.equal(m.metrics[0].labels[0].value, "shop");
    for (const p of m.metrics[0].metricPoints) {
      assert.equal(typeof p.gaugeValue.doubleValue.toFixed(2), "string");
      assert.ok(Number.isFinite(new Date(p.timestamp).getTime()));
    }
  }
  const calls = await get(`calls?service=shop&groupByOperation=true&${payload}`);
  assert.equal(calls.name, "service_operation_call_rate");
  const ops = calls.metrics.map(
    (m: any) => m.labels.find((l: any) => l.name === "operation").value,
  );
  assert.deepEqual(ops, ["GET", "SET"]);
  // The last point's 10-minute window holds every call of the seed: 96 in 600 s.
  const last = calls.metrics.map((m: any) => m.metricPoints.at(-1).gaugeValue.doubleValue);
  assert.deepEqual(last, [66 / 600, 30 / 600]);
  const errors = await get(`errors?service=shop&${payload}`);
  assert.equal(errors.name, "service_error_rate");
  assert.equal(errors.metrics[0].metricPoints.at(-1).gaugeValue.doubleValue, 15 / 96);
});

test("metrics API parameter errors are Jaeger's 400 envelope with a sentence", async (t) => {
  const v = await testViewer({ otlpGrpc: false });
  t.after(() => v.close());
  const api = `${v.uiUrl}/api/metrics`;
  for (const [q, re] of [
    ["calls?lookback=60000", /service/],
    ["latencies?service=a", /quantile/],
    ["latencies?service=a&quantile=1.5", /quantile/],
    ["calls?service=a&spanKind=sideways", /span kind/],
    ["calls?service=a&groupByOperation=maybe", /groupByOperation/],
    ["calls?service=a&step=soon", /step/],
    ["calls?service=a&lookback=-5", /lookback/],
    ["calls?service=a&endTs=1h", /endTs.*integer/],
  ] as const) {
    const r = await getJson(`${api}/${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.errors[0].code, 400);
    assert.match(r.body.errors[0].msg, re, q);
  }
  assert.equal((await getJson(`${api}/saturation?service=a`)).status, 404);
});
