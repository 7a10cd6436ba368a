// The ingest-time aggregates behind System Architecture and Monitor, through the store: service
// edges (parent before, after or long before its children; one service; errors) agreeing with a
// scan of the spans, per-minute RED rows merged across commits, retention by age and by size.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { decodeJson, TraceStore } from "@periscope/trace-viewer";
import { dependencyLinks } from "../src/query/metrics-api.ts";
import { PENDING_GIVE_UP_MS, PENDING_WAIT_MS } from "../src/store/aggregates.ts";
import { decodeHistogram, quantile } from "../src/store/red-histogram.ts";
import { hexId, tempDir } from "./helpers.ts";

const T = Date.UTC(2026, 0, 15, 12); // a minute boundary, ms

interface S {
  trace: number;
  id: number;
  parent?: number;
  service: string;
  name?: string;
  atMs?: number;
  durMs?: number;
  error?: boolean;
  kind?: number;
}

/** One export request holding these spans (grouped by service). */
function req(spans: S[]) {
  const by = new Map<string, S[]>();
  for (const s of spans) by.set(s.service, [...(by.get(s.service) ?? []), s]);
  return decodeJson({
    resourceSpans: [...by].map(([service, list]) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: "t" },
          spans: list.map((s) => {
            const start = BigInt(T + (s.atMs ?? 5000)) * 1_000_000n;
            return {
              traceId: hexId(s.trace, 16),
              spanId: hexId(s.id, 8),
              ...(s.parent ? { parentSpanId: hexId(s.parent, 8) } : {}),
              name: s.name ?? "op",
              kind: s.kind ?? 2,
              startTimeUnixNano: String(start),
              endTimeUnixNano: String(start + BigInt(s.durMs ?? 1) * 1_000_000n),
              ...(s.error ? { status: { code: 2 } } : {}),
            };
          }),
        },
      ],
    })),
  }).resources;
}

const links = (store: TraceStore, from = T - 3600e3, to = T + 3600e3) =>
  dependencyLinks(store.reader, from, to);

/** What a scan of the stored spans finds (the reader's per-request join, kept as the oracle). */
const scanned = (store: TraceStore) =>
  store.reader
    .dependencies((T - 3600e3) * 1000, (T + 3600e3) * 1000)
    .map((l) => [l.parent, l.child, l.callCount]);

test("service edges: same batch, child first, parent first, one service, errors; as a scan finds", () => {
  let now = T;
  const store = new TraceStore({ path: ":memory:", clock: () => now, retentionIntervalMs: 0 });
  try {
    // Same batch, child listed first.
    store.ingest(
      req([
        { trace: 1, id: 2, parent: 1, service: "cart", error: true },
        { trace: 1, id: 1, service: "frontend" },
        { trace: 1, id: 3, parent: 2, service: "cart" }, // same service: no edge
      ]),
    );
    // Children first, in an earlier request than their parent.
    store.ingest(
      req([
        { trace: 2, id: 11, parent: 10, service: "bank", error: true },
        { trace: 2, id: 12, parent: 10, service: "bank" },
      ]),
    );
    assert.deepEqual(links(store), [
      { parent: "frontend", child: "cart", callCount: 1, errorCount: 1 },
    ]);
    assert.equal(store.aggregatesPending, 1, "the bank spans wait for their parent");
    now += 5000;
    store.ingest(req([{ trace: 2, id: 10, service: "payments" }]));
    assert.equal(store.aggregatesPending, 0);
    // Parent first, child in a later request (the parent is among the recent spans).
    store.ingest(req([{ trace: 3, id: 20, service: "frontend" }]));
    store.ingest(req([{ trace: 3, id: 21, parent: 20, service: "cart", atMs: 65_000 }]));
    assert.deepEqual(links(store), [
      { parent: "frontend", child: "cart", callCount: 2, errorCount: 1 },
      { parent: "payments", child: "bank", callCount: 2, errorCount: 1 },
    ]);
    assert.deepEqual(
      links(store).map((l) => [l.parent, l.child, l.callCount]),
      scanned(store),
    );
    // Minute by minute: the second frontend -> cart call started in the next minute.
    assert.deepEqual(
      links(store, T + 60e3, T + 120e3).map((l) => l.callCount),
      [1],
    );
    assert.deepEqual(
      dependencyLinks(store.reader, T - 3600e3, T + 3600e3, "bank").map((l) => l.parent),
      ["payments"],
    );
  } finally {
    store.close();
  }
});

test("a parent stored long before (another process) is found once the child has waited", (t) => {
  const path = join(tempDir(t), "traces.sqlite");
  let now = T;
  const opts = { path, clock: () => now, retentionIntervalMs: 0 };
  const first = new TraceStore(opts);
  first.ingest(req([{ trace: 7, id: 70, service: "gateway" }]));
  first.close();
  // A new store knows no recent spans: the child waits, then the store is asked.
  const store = new TraceStore(opts);
  try {
    store.ingest(req([{ trace: 7, id: 71, parent: 70, service: "users" }]));
    assert.deepEqual(links(store), []);
    now += PENDING_WAIT_MS + 1;
    store.ingest(req([{ trace: 8, id: 80, service: "other" }]));
    assert.deepEqual(links(store), [
      { parent: "gateway", child: "users", callCount: 1, errorCount: 0 },
    ]);
    assert.equal(store.aggregatesPending, 0);
  } finally {
    store.close();
  }
});

test("a long-running parent: its children wait past the store lookup until it ends", () => {
  let now = T;
  const store = new TraceStore({ path: ":memory:", clock: () => now, retentionIntervalMs: 0 });
  try {
    store.ingest(req([{ trace: 9, id: 91, parent: 90, service: "worker" }]));
    now += PENDING_WAIT_MS + 1;
    store.ingest(req([{ trace: 10, id: 100, service: "other" }])); // asks the store: not there
    assert.equal(store.aggregatesPending, 1);
    now += 10 * 60e3;
    store.ingest(req([{ trace: 9, id: 90, service: "scheduler", durMs: 11 * 60e3 }]));
    assert.deepEqual(links(store), [
      { parent: "scheduler", child: "worker", callCount: 1, errorCount: 0 },
    ]);
    // A parent that never comes: given up on, memory freed.
    store.ingest(req([{ trace: 11, id: 111, parent: 110, service: "orphan" }]));
    now += PENDING_WAIT_MS + 1;
    store.ingest(req([{ trace: 12, id: 120, service: "other" }]));
    now += PENDING_GIVE_UP_MS;
    store.ingest(req([{ trace: 13, id: 130, service: "other" }]));
    assert.equal(store.aggregatesPending, 0);
  } finally {
    store.close();
  }
});

type Red = {
  service: string;
  kind: number;
  minute: number;
  operation: string;
  calls: number;
  errors: number;
  hist: Uint8Array;
};
const redRows = (store: TraceStore) =>
  store.reader
    .stmt("SELECT * FROM red_minutes ORDER BY service, kind, minute, operation")
    .all() as unknown as Red[];

test("RED rows per service, kind, minute and operation, merged across commits", () => {
  const store = new TraceStore({ path: ":memory:", retentionIntervalMs: 0 });
  try {
    store.ingest(
      req([
        { trace: 1, id: 1, service: "shop", name: "GET", durMs: 1 },
        { trace: 1, id: 2, service: "shop", name: "GET", durMs: 3, error: true },
        { trace: 1, id: 3, service: "shop", name: "GET", durMs: 2, kind: 3 },
      ]),
    );
    store.ingest(
      req([
        { trace: 2, id: 4, service: "shop", name: "GET", durMs: 9 },
        { trace: 2, id: 5, service: "shop", name: "GET", atMs: 61_000 },
      ]),
    );
    const rows = redRows(store);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.minute - T, r.operation, r.calls, r.errors]),
      [
        [2, 0, "GET", 3, 1],
        [2, 60e3, "GET", 1, 0],
        [3, 0, "GET", 1, 0],
      ],
    );
    const h = decodeHistogram(rows[0]!.hist);
    assert.ok(Math.abs(quantile(h, 1)! - 9000) / 9000 < 0.04);
    assert.ok(Math.abs(quantile(h, 0.5)! - 3000) / 3000 < 0.04);
  } finally {
    store.close();
  }
});

test("aggregates go with retention by age and with the size cap's trims", (t) => {
  const now = T + 8 * 86400e3;
  const store = new TraceStore({
    path: ":memory:",
    clock: () => now,
    retentionMs: 7 * 86400e3,
    retentionIntervalMs: 0,
  });
  try {
    store.ingest(
      req([
        { trace: 1, id: 2, parent: 1, service: "b" },
        { trace: 1, id: 1, service: "a" },
      ]),
    );
    store.ingest(
      req([
        { trace: 2, id: 2, parent: 1, service: "b", atMs: 7.5 * 86400e3 },
        { trace: 2, id: 1, service: "a", atMs: 7.5 * 86400e3 },
      ]),
    );
    assert.equal(redRows(store).length, 4);
    store.enforceRetention();
    assert.deepEqual(
      redRows(store).map((r) => r.minute),
      [T + 7.5 * 86400e3, T + 7.5 * 86400e3],
    );
    assert.deepEqual(
      links(store, T, now).map((l) => l.callCount),
      [1],
    );
  } finally {
    store.close();
  }
  // Under --max-size the oldest spans go at each commit, and the minutes before them with them.
  const path = join(tempDir(t), "traces.sqlite");
  const capped = new TraceStore({ path, maxBytes: 2 * 1024 * 1024, retentionIntervalMs: 0 });
  try {
    for (let i = 0; i < 400; i++) {
      const spans = Array.from(
        { length: 20 },
        (_, j): S => ({
          trace: i + 1,
          id: j + 1,
          parent: j > 0 ? 1 : undefined,
          service: `svc-${j % 2}`,
          name: `op-${"x".repeat(200)}-${j}`,
          atMs: i * 60e3,
        }),
      );
      capped.ingest(req(spans));
    }
    const minutes = redRows(capped).map((r) => r.minute);
    const oldest = capped.reader.stmt("SELECT min(start_min) AS s FROM chunks").get() as {
      s: number;
    };
    assert.ok(minutes.length > 0);
    assert.ok(
      Math.min(...minutes) >= Math.floor(oldest.s / 60e6) * 60e3,
      "no minute before the oldest span",
    );
    assert.ok(Math.min(...minutes) > T, "the first minutes went");
  } finally {
    capped.close();
  }
});
