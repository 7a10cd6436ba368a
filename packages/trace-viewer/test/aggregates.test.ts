// The ingest-time aggregates behind System Architecture and Monitor: service-to-service edges
// (parent before or after its children), per-minute RED rows merged across commits, pruning.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { type AggregateSpan, Aggregates, applyAggregateSchema } from "../src/store/aggregates.ts";
import { decodeHistogram, quantile } from "../src/store/red-histogram.ts";

const MIN_US = 60e6;
const T = 1_700_000_040 * 1e6; // a minute boundary, µs

function setup() {
  const db = new DatabaseSync(":memory:");
  applyAggregateSchema(db);
  // Stands in for the spans table: what a lookup by trace number and span id finds.
  const stored = new Map<string, string>();
  const agg = new Aggregates(db, (no, id) =>
    stored.get(`${no}:${Buffer.from(id).toString("hex")}`),
  );
  const put = (...spans: AggregateSpan[]) => {
    for (const s of spans) {
      stored.set(`${s.traceNo}:${Buffer.from(s.spanId).toString("hex")}`, s.service);
      agg.add(s);
    }
    agg.flush();
  };
  const deps = () =>
    db
      .prepare(
        "SELECT minute, parent, child, calls, errors FROM dep_minutes ORDER BY parent, child",
      )
      .all();
  return { db, agg, put, deps };
}

let next = 1;
function span(
  service: string,
  op: string,
  parent: AggregateSpan | null,
  o: Partial<AggregateSpan> = {},
): AggregateSpan {
  const id = Buffer.alloc(8);
  id.writeUInt32BE(next++);
  return {
    traceNo: 1,
    spanId: id,
    parentSpanId: parent ? parent.spanId : null,
    service,
    operation: op,
    kind: 2,
    startUs: T + 5e6,
    durationUs: 1000,
    error: false,
    ...o,
  };
}

test("edges between services: parent first, child first, same service, errors", () => {
  const { put, deps, agg } = setup();
  const root = span("frontend", "GET /", null);
  const cart = span("cart", "get", root);
  put(root, cart); // one batch: the parent is found among the stored spans
  const db1 = span("db", "SELECT", cart, { error: true });
  const db2 = span("db", "SELECT", cart, { startUs: T + MIN_US + 1 });
  const local = span("cart", "encode", cart);
  put(db1, db2, local);
  // Children before their parent: they wait, then count when it arrives.
  const pay = span("payments", "charge", null, { traceNo: 2 });
  const bank = span("bank", "auth", pay, { traceNo: 2, error: true });
  const bank2 = span("bank", "auth", pay, { traceNo: 2 });
  put(bank, bank2);
  assert.equal(agg.pendingTraces, 1);
  put(pay);
  assert.equal(agg.pendingTraces, 0);
  const m = T / 1000;
  assert.deepEqual(
    deps().map((r) => ({ ...r })),
    [
      { minute: m, parent: "cart", child: "db", calls: 1, errors: 1 },
      { minute: m + 60e3, parent: "cart", child: "db", calls: 1, errors: 0 },
      { minute: m, parent: "frontend", child: "cart", calls: 1, errors: 0 },
      { minute: m, parent: "payments", child: "bank", calls: 2, errors: 1 },
    ],
  );
});

test("RED rows per service, kind, minute and operation, merged across commits; pruned by age", () => {
  const { db, put, agg } = setup();
  put(
    span("shop", "GET", null, { durationUs: 1000 }),
    span("shop", "GET", null, { durationUs: 3000, error: true }),
    span("shop", "GET", null, { durationUs: 2000, kind: 3 }),
  );
  put(
    span("shop", "GET", null, { durationUs: 9000 }),
    span("shop", "GET", null, { startUs: T + MIN_US }),
  );
  const rows = db
    .prepare(
      "SELECT service, kind, minute, operation, calls, errors, hist FROM red_minutes ORDER BY kind, minute",
    )
    .all() as Array<{
    kind: number;
    minute: number;
    calls: number;
    errors: number;
    hist: Uint8Array;
  }>;
  assert.deepEqual(
    rows.map((r) => [r.kind, r.minute - T / 1000, r.calls, r.errors]),
    [
      [2, 0, 3, 1],
      [2, 60e3, 1, 0],
      [3, 0, 1, 0],
    ],
  );
  const h = decodeHistogram(rows[0]!.hist);
  assert.ok(Math.abs(quantile(h, 1)! - 9000) / 9000 < 0.04);
  assert.ok(Math.abs(quantile(h, 0.34)! - 3000) / 3000 < 0.04);
  agg.prune(T / 1000 + 60e3);
  assert.equal((db.prepare("SELECT count(*) AS n FROM red_minutes").get() as { n: number }).n, 1);
});
