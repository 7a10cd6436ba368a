// Unit tests of the logic behind the trace page's views (no browser): self time, per-operation
// statistics, the merged span graph and its diff, and the trace-id box's parsing.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Span, Trace } from "../web/src/lib/jaeger.ts";
import { buildDag, diffDags, visibleDag } from "../web/src/lib/trace-dag.ts";
import { parseTraceIds } from "../web/src/lib/trace-ids.ts";
import { buildModel } from "../web/src/lib/trace-model.ts";
import { operationStats, selfTimes, tagKeys } from "../web/src/lib/trace-stats.ts";

function span(
  id: string,
  parent: string | null,
  start: number,
  duration: number,
  op = id,
  p = "p1",
): Span {
  return {
    traceID: "t1",
    spanID: id,
    operationName: op,
    references: parent ? [{ refType: "CHILD_OF", traceID: "t1", spanID: parent }] : [],
    startTime: start,
    duration,
    tags: [],
    logs: [],
    processID: p,
  };
}

function trace(spans: Span[], id = "t1"): Trace {
  return {
    traceID: id,
    spans,
    processes: { p1: { serviceName: "api", tags: [] }, p2: { serviceName: "db", tags: [] } },
  };
}

test("self time: the parent's interval less the union of its children, clipped to it", () => {
  const m = buildModel(
    trace([
      span("r", null, 0, 100),
      span("a", "r", 10, 30), // 10..40
      span("b", "r", 20, 30), // 20..50, overlaps a
      span("c", "r", 90, 30), // 90..120, runs past the parent: only 90..100 counts
      span("a1", "a", 15, 5),
    ]),
  );
  const self = new Map([...selfTimes(m)].map(([n, v]) => [n.span.spanID, v]));
  assert.equal(self.get("r"), 100 - 40 - 10); // covered: 10..50 and 90..100
  assert.equal(self.get("a"), 25);
  assert.equal(self.get("b"), 30);
  assert.equal(self.get("c"), 30);
  assert.equal(self.get("a1"), 5);
});

test("operation statistics: count, errors, totals, min, max, self; grouped by a tag", () => {
  const s1 = span("q1", "r", 10, 20, "query", "p2");
  s1.tags = [{ key: "db.table", type: "string", value: "users" }];
  const s2 = span("q2", "r", 40, 10, "query", "p2");
  s2.tags = [
    { key: "db.table", type: "string", value: "orders" },
    { key: "error", type: "bool", value: true },
  ];
  const s3 = span("q3", "r", 60, 30, "query", "p2");
  s3.tags = [{ key: "db.table", type: "string", value: "users" }];
  const m = buildModel(trace([span("r", null, 0, 100, "GET"), s1, s2, s3]));
  const stats = operationStats(m);
  const q = stats.find((s) => s.operation === "query")!;
  assert.deepEqual(
    { ...q, key: undefined },
    {
      key: undefined,
      service: "db",
      operation: "query",
      tagValue: undefined,
      count: 3,
      errors: 1,
      total: 60,
      min: 10,
      max: 30,
      selfTotal: 60,
    },
  );
  assert.equal(stats.find((s) => s.operation === "GET")?.selfTotal, 40);
  const byTable = operationStats(m, "db.table").filter((s) => s.operation === "query");
  assert.deepEqual(byTable.map((s) => [s.tagValue, s.count, s.total]).sort(), [
    ["orders", 1, 10],
    ["users", 2, 50],
  ]);
  // The root has no db.table: its group's value is "".
  assert.equal(operationStats(m, "db.table").find((s) => s.operation === "GET")?.tagValue, "");
  assert.deepEqual(tagKeys(m), ["db.table", "error"]);
});

test("span graph: spans merged by service and operation along their path; collapse; cap", () => {
  const m = buildModel(
    trace([
      span("r", null, 0, 100, "conn"),
      ...Array.from({ length: 10 }, (_, i) => span(`g${i}`, "r", i * 5, 2, "GET")),
      span("x", "g3", 16, 1, "query", "p2"),
      span("y", "g4", 21, 1, "query", "p2"),
    ]),
  );
  const dag = buildDag(m);
  assert.equal(dag.nodes.size, 3);
  const get = dag.nodes.get("api\u0001conn\u0000api\u0001GET")!;
  assert.equal(get.count, 10);
  assert.equal(get.total, 20);
  const q = dag.nodes.get(get.children[0]!)!;
  assert.deepEqual([q.service, q.operation, q.count, q.parent], ["db", "query", 2, get.key]);
  assert.deepEqual(visibleDag(dag, new Set()).keys.length, 3);
  assert.deepEqual(visibleDag(dag, new Set([get.key])).keys, [dag.roots[0], get.key]);
  assert.deepEqual(visibleDag(dag, new Set(), 2), {
    keys: [dag.roots[0], get.key],
    truncated: true,
  });
});

test("diff of two span graphs: only in A, only in B, changed by count or mean duration, same", () => {
  const a = buildModel(
    trace([
      span("r", null, 0, 100, "GET"),
      span("q", "r", 10, 10, "query", "p2"),
      span("c", "r", 30, 10, "charge"),
      span("s", "r", 50, 10, "render"),
    ]),
  );
  const b = buildModel(
    trace(
      [
        span("r", null, 0, 100, "GET"),
        span("q", "r", 10, 10, "query", "p2"),
        span("q2", "r", 25, 10, "query", "p2"),
        span("k", "r", 30, 10, "cache"),
        span("s", "r", 50, 30, "render"),
      ],
      "t2",
    ),
  );
  const d = diffDags(buildDag(a), buildDag(b));
  const kind = (op: string) => [...d.diff.values()].find((n) => n.operation === op)?.kind;
  assert.equal(kind("GET"), "same");
  assert.equal(kind("query"), "changed"); // 1 -> 2 spans
  assert.equal(kind("charge"), "only-a");
  assert.equal(kind("cache"), "only-b");
  assert.equal(kind("render"), "changed"); // 10 -> 30 µs mean
  // The union is one graph under the shared root.
  assert.equal(d.roots.length, 1);
  assert.equal(d.nodes.get(d.roots[0]!)!.children.length, 4);
});

test("trace-id box: one or two hex ids, trimmed and lower-cased; anything else a sentence", () => {
  assert.deepEqual(parseTraceIds("  ABCdef12 "), ["abcdef12"]);
  assert.deepEqual(parseTraceIds("a1, b2"), ["a1", "b2"]);
  assert.equal(parseTraceIds(""), "Type a trace id.");
  assert.match(String(parseTraceIds("<img src=x>")), /1 to 32 hexadecimal digits/);
  assert.match(String(parseTraceIds("a".repeat(33))), /1 to 32 hexadecimal digits/);
  assert.match(String(parseTraceIds("a b c")), /two open Compare/);
});
