// Jaeger API fidelity, the differences found against Jaeger's own converter and query service:
// its adjusters (duplicates dropped, tags and log fields sorted; raw=true skips them), duration
// as floor((end - start) / 1000), int64 past 2^53 typed int64, links to the parent merged into
// CHILD_OF, opentracing.ref_type links, prettyPrint, base64 trace ids, and POST /api/transform.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getJson, postJson, testViewer } from "./helpers.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const ROOT = "00f067aa0ba902b7";
const CHILD = "00f067aa0ba902b8";
const OTHER = "1111111111111111";

function request() {
  const str = (v: string) => ({ stringValue: v });
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: str("fidelity") },
            { key: "zone", value: str("z1") },
            { key: "arch", value: str("x64") },
          ],
        },
        scopeSpans: [
          {
            scope: { name: "lib" },
            spans: [
              {
                traceId: TRACE,
                spanId: ROOT,
                name: "root",
                kind: 2,
                // 1999 ns to 3001 ns after the second: 1.002 µs, so floor gives 1 (rounding both
                // ends first would give 2).
                startTimeUnixNano: "1760000000000001999",
                endTimeUnixNano: "1760000000000003001",
                attributes: [
                  { key: "zeta", value: str("last") },
                  { key: "alpha", value: str("first") },
                  { key: "big", value: { intValue: "9007199254740993" } },
                ],
                events: [
                  {
                    timeUnixNano: "1760000000000002000",
                    name: "hit",
                    attributes: [
                      { key: "z", value: str("1") },
                      { key: "a", value: str("2") },
                    ],
                  },
                ],
              },
              {
                traceId: TRACE,
                spanId: CHILD,
                parentSpanId: ROOT,
                name: "child",
                kind: 3,
                startTimeUnixNano: "1760000000000002000",
                endTimeUnixNano: "1760000000000002500",
                links: [
                  { traceId: TRACE, spanId: ROOT },
                  {
                    traceId: TRACE,
                    spanId: OTHER,
                    attributes: [{ key: "opentracing.ref_type", value: str("child_of") }],
                  },
                  { traceId: TRACE, spanId: "2222222222222222" },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

test("Jaeger's adjusters and translation details, raw=true and prettyPrint=true", async (t) => {
  const v = await testViewer({ otlpGrpc: false });
  t.after(() => v.close());
  assert.equal((await postJson(v.otlpHttpUrl, request())).status, 200);
  // The same batch again, as an exporter retrying after a lost answer would send it.
  assert.equal((await postJson(v.otlpHttpUrl, request())).status, 200);

  const tr = (await getJson(`${v.uiUrl}/api/traces/${TRACE}`)).body.data[0];
  assert.equal(tr.spans.length, 2, "exact duplicates are dropped");
  const root = tr.spans.find((s: any) => s.spanID === ROOT);
  const child = tr.spans.find((s: any) => s.spanID === CHILD);
  assert.equal(root.startTime, 1_760_000_000_000_001);
  assert.equal(root.duration, 1, "floor((end - start) / 1000)");
  const keys = root.tags.map((x: any) => x.key);
  assert.deepEqual(keys, [...keys].sort(), "tags sorted by key");
  assert.deepEqual(
    root.tags.find((x: any) => x.key === "big"),
    { key: "big", type: "int64", value: "9007199254740993" },
    "int64 past 2^53: still int64, every digit kept",
  );
  assert.deepEqual(
    root.logs[0].fields.map((f: any) => f.key),
    ["event", "a", "z"],
    "event first, then sorted",
  );
  assert.deepEqual(
    tr.processes[root.processID].tags.map((x: any) => x.key),
    ["arch", "zone"],
  );
  assert.deepEqual(child.references, [
    { refType: "CHILD_OF", traceID: TRACE, spanID: ROOT },
    { refType: "CHILD_OF", traceID: TRACE, spanID: OTHER },
    { refType: "FOLLOWS_FROM", traceID: TRACE, spanID: "2222222222222222" },
  ]);

  const raw = (await getJson(`${v.uiUrl}/api/traces/${TRACE}?raw=true`)).body.data[0];
  assert.equal(raw.spans.length, 4, "raw: as stored, duplicates included");
  assert.equal(raw.spans[0].tags.find((x: any) => x.key === "zeta") !== undefined, true);
  assert.notDeepEqual(
    raw.spans[0].tags.map((x: any) => x.key),
    [...raw.spans[0].tags.map((x: any) => x.key)].sort(),
    "raw: tags in the translation's order",
  );

  const pretty = await fetch(`${v.uiUrl}/api/traces/${TRACE}?prettyPrint=true`);
  const text = await pretty.text();
  assert.match(text, /\n {2,}"/);
  assert.equal(JSON.parse(text).data[0].spans.length, 2);
  const prettyServices = await (await fetch(`${v.uiUrl}/api/services?prettyPrint=true`)).text();
  assert.match(prettyServices, /\n {2}"data"/);

  // The trace id as protobuf's JSON mapping writes bytes (base64), as v3 clients send it.
  const b64 = Buffer.from(TRACE, "hex").toString("base64");
  const byB64 = await getJson(`${v.uiUrl}/api/v3/traces/${encodeURIComponent(b64)}`);
  assert.equal(byB64.status, 200);
  const v1b64 = await getJson(`${v.uiUrl}/api/traces/${encodeURIComponent(b64)}`);
  assert.equal(v1b64.body.data[0].traceID, TRACE);
});

test("POST /api/transform turns OTLP/JSON into Jaeger's model without storing it", async (t) => {
  const v = await testViewer({ otlpGrpc: false });
  t.after(() => v.close());
  const r = await fetch(`${v.uiUrl}/api/transform`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request()),
  });
  assert.equal(r.status, 200);
  const body = (await r.json()) as any;
  assert.equal(body.data.length, 1);
  const tr = body.data[0];
  assert.equal(tr.traceID, TRACE);
  assert.equal(tr.spans.length, 2);
  assert.equal(tr.processes.p1.serviceName, "fidelity");
  const root = tr.spans.find((s: any) => s.spanID === ROOT);
  assert.equal(root.duration, 1);
  assert.equal(v.store.reader.stats().spanCount, 0, "nothing stored");

  const bad = await fetch(`${v.uiUrl}/api/transform`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{nope",
  });
  assert.equal(bad.status, 400);
  const wrongType = await fetch(`${v.uiUrl}/api/transform`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: "{}",
  });
  assert.equal(wrongType.status, 415);
  // Other writes to the API stay refused.
  assert.equal((await fetch(`${v.uiUrl}/api/traces`, { method: "POST" })).status, 405);
});
