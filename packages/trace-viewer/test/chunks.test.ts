// The chunked stored form (store/chunk.ts): a trace written across several groups, resources and
// services reads back whole and in arrival order (spans, tree pass and summary agree, and a
// capped read keeps the earliest spans); size retention drops the oldest chunks first; tag
// search matches at trace level through the chunks' Bloom filters and never trusts a false hit.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { decodeJson, TraceStore } from "@periscope/trace-viewer";
import { bloomHas, bloomOf, hashPair } from "../src/store/chunk.ts";
import { hexId, jsonRequest, tempDir } from "./helpers.ts";

const T0_MS = Date.UTC(2026, 0, 15, 12);

interface S {
  trace: number;
  id: number;
  parent?: number;
  startMs: number;
  durMs?: number;
  attrs?: Record<string, string>;
}

function req(service: string, spans: S[], pad = 0) {
  return decodeJson(
    jsonRequest(
      service,
      spans.map((s) => ({
        traceId: hexId(s.trace, 16),
        spanId: hexId(s.id, 8),
        ...(s.parent ? { parentSpanId: hexId(s.parent, 8) } : {}),
        name: `op-${s.id % 3}`,
        startNs: BigInt(s.startMs) * 1_000_000n,
        durationNs: BigInt(s.durMs ?? 1) * 1_000_000n,
        attributes: [
          ...Object.entries(s.attrs ?? {}).map(([key, v]) => ({
            key,
            value: { stringValue: v },
          })),
          ...(pad ? [{ key: "pad", value: { stringValue: "x".repeat(pad) } }] : []),
        ],
      })),
    ),
  ).resources;
}

const tid = (n: number) => Buffer.from(hexId(n, 16), "hex");

test("a trace stored across several groups, resources and services reads back whole, in arrival order", () => {
  const store = new TraceStore({ path: ":memory:", retentionIntervalMs: 0 });
  try {
    // Arrival: 1,2 (a) | other trace | 3 (b) | 4,5 (a) with 6 (b) in the same group.
    store.ingest(
      req("a", [
        { trace: 1, id: 1, startMs: T0_MS, durMs: 50 },
        { trace: 1, id: 2, parent: 1, startMs: T0_MS + 5 },
      ]),
    );
    store.ingest(req("a", [{ trace: 2, id: 1, startMs: T0_MS }]));
    store.ingest(req("b", [{ trace: 1, id: 3, parent: 2, startMs: T0_MS + 1, durMs: 3 }]));
    store.ingestMany([
      req("a", [
        { trace: 1, id: 4, parent: 1, startMs: T0_MS + 2 },
        { trace: 2, id: 2, parent: 1, startMs: T0_MS + 1 },
        { trace: 1, id: 5, parent: 1, startMs: T0_MS + 9 },
      ]),
      req("b", [{ trace: 1, id: 6, parent: 3, startMs: T0_MS + 3 }]),
    ]);
    const spans = store.reader.trace(tid(1));
    assert.deepEqual(
      spans.map((s) => s.spanId),
      [1, 2, 3, 4, 5, 6].map((i) => hexId(i, 8)),
    );
    assert.deepEqual(
      spans.map((s) => s.service),
      ["a", "a", "b", "a", "a", "b"],
    );
    assert.equal(spans[0]!.parentSpanId, "");
    assert.equal(spans[2]!.parentSpanId, hexId(2, 8));
    assert.equal(spans[0]!.durationUs, 50_000);
    assert.equal(spans[2]!.startUs, (T0_MS + 1) * 1000);
    const tree = [...store.reader.traceTree(tid(1), 100)];
    assert.deepEqual(
      tree.map((s) => [s.spanId, s.parentSpanId, s.startUs, s.durationUs]),
      spans.map((s) => [s.spanId, s.parentSpanId, s.startUs, s.durationUs]),
    );
    const sum = store.reader.summary(tid(1))!;
    assert.equal(sum.spanCount, 6);
    assert.equal(sum.rootServiceName, "a");
    assert.equal(sum.rootOperationName, "op-1");
    assert.equal(sum.endUs, (T0_MS + 50) * 1000);
    assert.deepEqual(sum.services.map((s) => [s.name, s.spanCount]).sort(), [
      ["a", 4],
      ["b", 2],
    ]);
    assert.equal(store.reader.stats().spanCount, 8);

    // Capped: the three that started first (1, 3, 4), still in arrival order, and the tree pass
    // yields the same spans.
    const it = store.reader.traceSpans(tid(1), 3);
    const capped: string[] = [];
    let r = it.next();
    while (!r.done) {
      capped.push(r.value.spanId);
      r = it.next();
    }
    assert.equal(r.value, true, "says spans were left out");
    assert.deepEqual(
      capped,
      [1, 3, 4].map((i) => hexId(i, 8)),
    );
    assert.deepEqual(
      [...store.reader.traceTree(tid(1), 3)].map((s) => s.spanId),
      capped,
    );
  } finally {
    store.close();
  }
});

test("size retention deletes the oldest chunks first; a trace split across groups keeps its newer part", (t) => {
  const dir = tempDir(t);
  const maxBytes = 1024 * 1024;
  const store = new TraceStore({
    path: join(dir, "t.sqlite"),
    maxBytes,
    retentionIntervalMs: 0,
  });
  try {
    // Trace 1's first half arrives first, its second half last.
    store.ingest(req("svc", [{ trace: 1, id: 1, startMs: T0_MS }], 2000));
    for (let n = 2; n < 800; n++) {
      store.ingest(req("svc", [{ trace: n, id: 1, startMs: T0_MS + n }], 2000));
    }
    store.ingest(req("svc", [{ trace: 1, id: 2, parent: 1, startMs: T0_MS + 500 }], 2000));
    const alive = (n: number) => store.reader.hasTrace(tid(n));
    assert.ok(store.usedBytes() <= maxBytes * 1.1, `within the cap: ${store.usedBytes()}`);
    assert.ok(!alive(2), "the oldest traces went");
    assert.ok(alive(799), "the newest stayed");
    // Deleted oldest first: every trace number still stored is newer than every one deleted.
    let firstAlive = 0;
    for (let n = 2; n < 800; n++) {
      if (alive(n) && !firstAlive) firstAlive = n;
      if (firstAlive) assert.ok(alive(n), `trace ${n} stored after ${firstAlive}`);
    }
    assert.ok(firstAlive > 2);
    assert.deepEqual(
      store.reader.trace(tid(1)).map((s) => s.spanId),
      [hexId(2, 8)],
      "trace 1 keeps the half that came last",
    );
  } finally {
    store.close();
  }
});

test("tag search matches at trace level across chunks and services, and checks the spans", () => {
  const store = new TraceStore({ path: ":memory:", retentionIntervalMs: 0 });
  try {
    store.ingest(req("front", [{ trace: 1, id: 1, startMs: T0_MS }]));
    store.ingest(
      req("db", [{ trace: 1, id: 2, parent: 1, startMs: T0_MS + 1, attrs: { user: "u-9" } }]),
    );
    // Many values in one chunk: its Bloom filter grows with them.
    store.ingest(
      req(
        "front",
        Array.from({ length: 500 }, (_, i) => ({
          trace: 2,
          id: i + 1,
          startMs: T0_MS + 2,
          attrs: { key: `k-${i}` },
        })),
      ),
    );
    const find = (service: string, tags: Record<string, string>) =>
      store.reader
        .findTraceIds({ service, tags, startUs: 0, endUs: (T0_MS + 1e6) * 1000, limit: 10 })
        .map((b) => b.toString("hex"));
    assert.deepEqual(find("front", { user: "u-9" }), [hexId(1, 16)], "the tag is on db's span");
    assert.deepEqual(find("db", { user: "u-9" }), [hexId(1, 16)]);
    assert.deepEqual(find("front", { user: "u-8" }), []);
    assert.deepEqual(find("front", { key: "k-499" }), [hexId(2, 16)]);
    assert.deepEqual(find("front", { key: "k-500" }), []);
    assert.deepEqual(find("front", { key: "k-3", user: "u-9" }), []);
  } finally {
    store.close();
  }
});

test("a Bloom filter holds every pair put in it and few others", () => {
  const pairs = Array.from({ length: 1000 }, (_, i) => hashPair(`k\u0000v-${i}`));
  const bloom = bloomOf(pairs);
  for (const [a, b] of pairs) assert.ok(bloomHas(bloom, a, b));
  let hits = 0;
  for (let i = 0; i < 10_000; i++) {
    const [a, b] = hashPair(`k\u0000w-${i}`);
    if (bloomHas(bloom, a, b)) hits++;
  }
  assert.ok(hits < 300, `false positives ${hits} of 10,000`);
  assert.equal(bloomHas(bloomOf([]), 1, 3), false);
});
