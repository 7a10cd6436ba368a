// Unit tests of the web UI's pure logic (no browser): logfmt tags, the span tree, collapsing,
// the critical path, search within a trace, trace-file loading and search URLs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkTrace, loadTraceFile, lookbackUs, searchParams } from "../web/src/lib/api.ts";
import { checkDuration, formatDuration } from "../web/src/lib/format.ts";
import type { Span, Trace } from "../web/src/lib/jaeger.ts";
import { LogfmtError, parseLogfmt, toLogfmt } from "../web/src/lib/logfmt.ts";
import { sortSummaries, summarize } from "../web/src/lib/summary.ts";
import {
  buildModel,
  criticalPath,
  operationCounts,
  searchSpans,
  stripes,
  visibleNodes,
} from "../web/src/lib/trace-model.ts";

function span(id: string, parent: string | null, start: number, duration: number, op = id): Span {
  return {
    traceID: "t1",
    spanID: id,
    operationName: op,
    references: parent ? [{ refType: "CHILD_OF", traceID: "t1", spanID: parent }] : [],
    startTime: start,
    duration,
    tags: [],
    logs: [],
    processID: "p1",
  };
}

function trace(spans: Span[]): Trace {
  return { traceID: "t1", spans, processes: { p1: { serviceName: "svc", tags: [] } } };
}

test("logfmt: bare keys, quoted values with escapes, round trip", () => {
  assert.deepEqual(parseLogfmt('error=true http.status_code=500 msg="two words" flag'), {
    error: "true",
    "http.status_code": "500",
    msg: "two words",
    flag: "true",
  });
  assert.deepEqual(parseLogfmt('q="say \\"hi\\""'), { q: 'say "hi"' });
  assert.deepEqual(parseLogfmt("   "), {});
  assert.throws(() => parseLogfmt('a="open'), LogfmtError);
  assert.throws(() => parseLogfmt("=v"), LogfmtError);
  const tags = { a: "1", b: "x y", c: 'q"' };
  assert.deepEqual(parseLogfmt(toLogfmt(tags)), tags);
});

test("durations: formatting and the form's syntax", () => {
  assert.equal(formatDuration(250), "250µs");
  assert.equal(formatDuration(1500), "1.5ms");
  assert.equal(formatDuration(2_000_000), "2s");
  assert.equal(checkDuration("1.2s"), null);
  assert.equal(checkDuration("100ms"), null);
  assert.equal(checkDuration(""), null);
  assert.match(checkDuration("fast") ?? "", /unit/);
});

test("search URL carries Jaeger's parameters, tags as JSON, start/end from lookback", () => {
  const p = searchParams(
    {
      service: "mini-redis",
      tags: { error: "true" },
      lookback: "1h",
      limit: 20,
      minDuration: "1 ms",
    },
    1_000_000,
  );
  assert.equal(p.get("service"), "mini-redis");
  assert.equal(p.get("tags"), '{"error":"true"}');
  assert.equal(p.get("end"), String(1_000_000_000));
  assert.equal(Number(p.get("end")) - Number(p.get("start")), 3600e6);
  assert.equal(p.get("minDuration"), "1ms");
  assert.equal(p.get("limit"), "20");
  assert.equal(p.has("operation"), false);
  // Jaeger UI and Grafana links may carry any lookback, or an explicit window.
  assert.equal(lookbackUs("90m"), 90 * 60e6);
  assert.equal(lookbackUs("3d"), 3 * 86400e6);
  assert.equal(lookbackUs("1w"), null);
  const custom = searchParams({ service: "s", lookback: "custom", start: 5, end: 9, limit: 1 });
  assert.equal(custom.get("start"), "5");
  assert.equal(custom.get("end"), "9");
  assert.equal(custom.has("lookback"), false);
});

test("tree: depth-first order, children by start, orphans and cycles become roots", () => {
  const m = buildModel(
    trace([
      span("c2", "root", 50, 10),
      span("root", null, 0, 100),
      span("c1", "root", 10, 20),
      span("g1", "c1", 12, 5),
      span("orphan", "missing", 5, 1),
      span("x", "y", 1, 1),
      span("y", "x", 2, 1),
    ]),
  );
  assert.deepEqual(
    m.nodes.slice(0, 5).map((n) => n.span.spanID),
    ["root", "c1", "g1", "c2", "orphan"],
  );
  assert.equal(m.nodes.length, 7);
  assert.equal(m.byId.get("g1")?.depth, 2);
  assert.equal(m.start, 0);
  assert.equal(m.end, 100);
  assert.deepEqual(
    visibleNodes(m, new Set(["c1"]))
      .map((n) => n.span.spanID)
      .slice(0, 3),
    ["root", "c1", "c2"],
  );
  assert.equal(visibleNodes(m, new Set(["root"])).filter((n) => n.depth > 0).length, 0);
});

test("a 10,000-deep chain builds without recursion limits", () => {
  const spans = [span("s0", null, 0, 20_000)];
  for (let i = 1; i < 10_000; i++) spans.push(span(`s${i}`, `s${i - 1}`, i, 20_000 - 2 * i));
  const m = buildModel(trace(spans));
  assert.equal(m.maxDepth, 9_999);
  const cp = criticalPath(m);
  assert.equal(cp.size, 10_000);
});

test("critical path follows the last-finishing child and the parent's own gaps", () => {
  // root 0..100; a 10..40; b 30..90 (finishes last); b1 35..60 inside b.
  const m = buildModel(
    trace([
      span("root", null, 0, 100),
      span("a", "root", 10, 30),
      span("b", "root", 30, 60),
      span("b1", "b", 35, 25),
    ]),
  );
  const cp = criticalPath(m);
  assert.deepEqual(cp.get("root"), [
    [90, 100],
    [0, 10],
  ]);
  assert.deepEqual(cp.get("b"), [
    [60, 90],
    [30, 35],
  ]);
  assert.deepEqual(cp.get("b1"), [[35, 60]]);
  // a ends at 40 but b covers 30..40 on the path, so only a's 10..30 part counts.
  assert.deepEqual(cp.get("a"), [[10, 30]]);
});

test("critical-path stripes: clipped to the view, runs closer than ~a pixel merged", () => {
  // 10,000 segments 0.5 µs apart on a 1 s view become one stripe; a far one stays apart.
  const segs: Array<[number, number]> = [];
  for (let i = 0; i < 10_000; i++) segs.push([i * 10, i * 10 + 9.5]);
  segs.push([900_000, 950_000]);
  assert.deepEqual(stripes(segs, 0, 1_000_000), [
    [0, 9.99995],
    [90, 95],
  ]);
  // Zoomed to 50..100 ms of it: the first run is outside, the far one is clipped to the view.
  const zoomed = stripes(segs, 500_000, 425_000);
  assert.equal(zoomed.length, 1);
  assert.ok(Math.abs(zoomed[0]![0] - 94.1176) < 1e-3 && zoomed[0]![1] === 100);
  assert.deepEqual(stripes([], 0, 1), []);
});

test("search in trace matches names and values of tags and events, all words; keys on request", () => {
  const s1 = span("s1", null, 0, 10, "GET /users");
  s1.tags = [{ key: "http.status_code", type: "int64", value: 500 }];
  const s2 = span("s2", "s1", 1, 2, "db.query");
  s2.logs = [{ timestamp: 1, fields: [{ key: "event", type: "string", value: "Cache Miss" }] }];
  const m = buildModel(trace([s1, s2]));
  assert.deepEqual([...searchSpans(m, "status_code=500")], ["s1"]);
  assert.deepEqual([...searchSpans(m, "cache miss")], ["s2"]);
  assert.deepEqual([...searchSpans(m, "db miss")], ["s2"]);
  assert.equal(searchSpans(m, "nothing-here").size, 0);
  assert.equal(searchSpans(m, "  ").size, 0);
  // Names and values, not keys: "status" is only in a key; the toggle finds keys too.
  assert.equal(searchSpans(m, "status").size, 0);
  assert.deepEqual([...searchSpans(m, "status", true)], ["s1"]);
  assert.deepEqual([...searchSpans(m, "500")], ["s1"]);
  assert.deepEqual([...searchSpans(m, "svc")].sort(), ["s1", "s2"]);
});

test("summaries: root, errors, sort orders; compare counts per operation", () => {
  const a = trace([span("r", null, 100, 50, "GET"), span("c", "r", 110, 5, "db")]);
  a.spans[1]!.tags = [{ key: "error", type: "bool", value: true }];
  const b = { ...trace([span("r", null, 200, 10, "GET")]), traceID: "t2" };
  const sa = summarize(a);
  assert.equal(sa.rootOperation, "GET");
  assert.equal(sa.errorCount, 1);
  assert.equal(sa.duration, 50);
  const sb = summarize(b);
  assert.deepEqual(
    sortSummaries([sa, sb], "recent").map((s) => s.traceID),
    ["t2", "t1"],
  );
  assert.deepEqual(
    sortSummaries([sb, sa], "longest").map((s) => s.traceID),
    ["t1", "t2"],
  );
  assert.deepEqual(
    sortSummaries([sa, sb], "least-spans").map((s) => s.traceID),
    ["t2", "t1"],
  );
  assert.deepEqual(
    [...operationCounts(buildModel(a))],
    [
      ["svc: GET", 1],
      ["svc: db", 1],
    ],
  );
});

test("trace files: Jaeger's envelope, a bare trace, an array; bad input gets a sentence", () => {
  const t = trace([span("r", null, 0, 1)]);
  assert.equal(loadTraceFile(JSON.stringify({ data: [t] }))[0]?.traceID, "t1");
  assert.equal(loadTraceFile(JSON.stringify(t)).length, 1);
  assert.equal(loadTraceFile(JSON.stringify([t, { ...t, traceID: "t9" }])).length, 2);
  assert.throws(() => loadTraceFile("{not json"), /not JSON/);
  assert.throws(() => loadTraceFile(JSON.stringify({ data: [] })), /no traces/);
  assert.throws(() => checkTrace({ traceID: "x", spans: [{ spanID: 1 }] }), /lacks spanID/);
  assert.throws(() => checkTrace(null), /Not a Jaeger trace/);
  // Odd values in an uploaded file become plain strings rather than crashing the page.
  const odd = checkTrace({
    traceID: "t",
    spans: [
      {
        spanID: "s",
        startTime: 1,
        duration: 2,
        operationName: { x: 1 },
        tags: [{ key: { a: 1 }, value: { nested: [1] } }, null, { key: "n", value: null }],
        logs: [{ timestamp: "x", fields: "nope" }],
        references: [null, { refType: "CHILD_OF", traceID: 1, spanID: 2 }],
      },
    ],
    processes: { p1: { serviceName: 42, tags: "bad" } },
  });
  const s0 = odd.spans[0]!;
  assert.equal(s0.operationName, "[object Object]");
  assert.deepEqual(s0.tags, [
    { key: "[object Object]", type: undefined, value: '{"nested":[1]}' },
    { key: "n", type: undefined, value: "null" },
  ]);
  assert.deepEqual(s0.logs, [{ timestamp: 1, fields: [] }]);
  assert.deepEqual(s0.references, [{ refType: "CHILD_OF", traceID: "1", spanID: "2" }]);
  assert.deepEqual(odd.processes.p1, { serviceName: "42", tags: [] });
  // Well-formed lists are kept as they are, not copied.
  const tags = [{ key: "k", type: "string", value: "v" }];
  const logs = [{ timestamp: 3, fields: tags }];
  const good = checkTrace({
    traceID: "t",
    spans: [{ spanID: "s", startTime: 1, duration: 2, operationName: "op", tags, logs }],
    processes: {},
  });
  assert.equal(good.spans[0]!.tags, tags);
  assert.equal(good.spans[0]!.logs, logs);
});

test("OTLP/JSON files (one request, or JSON Lines) open as Jaeger traces", () => {
  const request = (traceId: string, service: string) => ({
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: service } },
            { key: "host.name", value: { stringValue: "box" } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: "lib" },
            spans: [
              {
                traceId,
                spanId: "00000000000000AA",
                name: "root",
                kind: 2,
                startTimeUnixNano: "1000000000",
                endTimeUnixNano: "1005000000",
                attributes: [
                  { key: "http.status_code", value: { intValue: "500" } },
                  { key: "ratio", value: { doubleValue: 0.5 } },
                  { key: "list", value: { arrayValue: { values: [{ stringValue: "a" }] } } },
                ],
                events: [{ timeUnixNano: "1001000000", name: "boom", attributes: [] }],
                status: { code: 2, message: "failed" },
              },
              {
                traceId,
                spanId: "00000000000000bb",
                parentSpanId: "00000000000000aa",
                name: "child",
                kind: "SPAN_KIND_CLIENT",
                startTimeUnixNano: "1001000000",
                endTimeUnixNano: "1002000000",
                links: [{ traceId: "ff", spanId: "ee" }],
              },
            ],
          },
        ],
      },
    ],
  });
  const [t] = loadTraceFile(JSON.stringify(request("0A", "svc")));
  assert.ok(t);
  assert.equal(t.traceID, "0a");
  assert.deepEqual(t.processes, {
    p1: { serviceName: "svc", tags: [{ key: "host.name", type: "string", value: "box" }] },
  });
  const [root, child] = t.spans;
  assert.equal(root?.startTime, 1_000_000);
  assert.equal(root?.duration, 5000);
  assert.deepEqual(
    root?.tags?.map((x) => [x.key, x.type, x.value]),
    [
      ["http.status_code", "int64", 500],
      ["ratio", "float64", 0.5],
      ["list", "string", '["a"]'],
      ["span.kind", "string", "server"],
      ["otel.scope.name", "string", "lib"],
      ["otel.status_code", "string", "ERROR"],
      ["error", "bool", true],
      ["otel.status_description", "string", "failed"],
    ],
  );
  assert.deepEqual(root?.logs?.[0]?.fields[0], { key: "event", type: "string", value: "boom" });
  assert.deepEqual(child?.references, [
    { refType: "CHILD_OF", traceID: "0a", spanID: "00000000000000aa" },
    { refType: "FOLLOWS_FROM", traceID: "ff", spanID: "ee" },
  ]);
  assert.equal(buildModel(t).roots.length, 1);
  // JSON Lines, two traces from two services.
  const lines = `${JSON.stringify(request("01", "a"))}\n${JSON.stringify(request("02", "b"))}\n`;
  assert.deepEqual(
    loadTraceFile(lines).map((x) => [x.traceID, x.processes.p1?.serviceName]),
    [
      ["01", "a"],
      ["02", "b"],
    ],
  );
});
