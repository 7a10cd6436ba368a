// What the ingest-time aggregates (System Architecture's service edges, Monitor's per-minute RED
// rows) add to the store's ingest CPU per span: the same decoded requests written into two file
// stores in this process, one with the aggregates and one without, in alternating rounds.
// Traces span three services and arrive as exporters send them: each request holds the children
// of its traces and the parents of the previous request's, so most edges wait for a late parent.
// Run alone with `npm run bench -- viewer-aggregates`; `npm run bench -- viewer` includes it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJson, TraceStore } from "@periscope/trace-viewer";
import type { BenchResult, BenchRow } from "./harness.ts";

const TRACES_PER_REQUEST = 100;
const SERVICES = ["frontend", "cart", "redis"];
const OPS = ["GET", "SET", "DEL", "INCR", "EXPIRE"];

type Decoded = ReturnType<typeof decodeJson>["resources"];

const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, "0");

/** Request n: the 9 descendants of its traces, and the roots of request n-1's traces. */
function request(n: number, t0Ms: number): Decoded {
  const by = new Map<string, unknown[]>(SERVICES.map((s) => [s, []]));
  const span = (trace: number, i: number, parent: number | null, svc: string, op: string) => {
    const start = BigInt(t0Ms + n * 50) * 1_000_000n + BigInt(i * 20_000);
    by.get(svc)!.push({
      traceId: hex(trace + 1, 16),
      spanId: hex(trace * 16 + i + 1, 8),
      ...(parent === null ? {} : { parentSpanId: hex(trace * 16 + parent + 1, 8) }),
      name: op,
      kind: i === 0 || i === 1 ? 2 : 3,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(1_000_000 + ((trace + i) % 50) * 100_000)),
      ...(i === 5 && trace % 10 === 0 ? { status: { code: 2 } } : {}),
      attributes: [{ key: "db.key", value: { stringValue: `key:${(trace * 31 + i) % 1000}` } }],
    });
  };
  for (let k = 0; k < TRACES_PER_REQUEST; k++) {
    const trace = n * TRACES_PER_REQUEST + k;
    // frontend root (0) -> cart server (1) -> redis client calls (2..9).
    span(trace, 1, 0, "cart", "checkout");
    for (let i = 2; i < 10; i++) span(trace, i, 1, "redis", OPS[(trace + i) % OPS.length]!);
    if (n > 0) span(trace - TRACES_PER_REQUEST, 0, null, "frontend", "GET /cart");
  }
  return decodeJson({
    resourceSpans: [...by].map(([service, spans]) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: "bench" }, spans }],
    })),
  }).resources;
}

const spansOf = (r: Decoded) =>
  r.reduce((a, x) => a + x.scopes.reduce((b, s) => b + s.spans.length, 0), 0);

export async function aggregateRows(
  notes: string[],
  rounds = 10,
  requestsPerRound = 40,
): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "periscope-agg-bench-"));
  const t0 = Date.now() - 3600e3;
  const stores = {
    on: new TraceStore({ path: join(dir, "on.sqlite"), retentionIntervalMs: 0 }),
    off: new TraceStore({
      path: join(dir, "off.sqlite"),
      retentionIntervalMs: 0,
      aggregates: false,
    }),
  };
  const cpu = { on: 0, off: 0 };
  // Per round, µs per span with and without: the machine's load moves between rounds, so the
  // row gives medians of the rounds (each with both stores), the notes the totals.
  const perRound: Array<{ on: number; off: number }> = [];
  let spans = 0;
  try {
    let n = 0;
    // A warm-up round each, not counted (JIT, first pages).
    for (let r = -1; r < rounds; r++) {
      const reqs = Array.from({ length: requestsPerRound }, () => request(n++, t0));
      const count = reqs.reduce((a, x) => a + spansOf(x), 0);
      const round = { on: 0, off: 0 };
      for (const which of r % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
        const c0 = process.cpuUsage();
        for (const q of reqs) stores[which].ingest(q);
        const c = process.cpuUsage(c0);
        round[which] = (c.user + c.system) / count;
        if (r >= 0) cpu[which] += c.user + c.system;
      }
      if (r >= 0) {
        spans += count;
        perRound.push(round);
      }
    }
    const pending = stores.on.aggregatesPending;
    const edges = stores.on.reader
      .stmt("SELECT parent, child, sum(calls) AS n FROM dep_minutes GROUP BY parent, child")
      .all() as Array<{ parent: string; child: string; n: number }>;
    notes.push(
      `aggregates: ${spans.toLocaleString("en")} spans per store in ${rounds} alternating rounds (${TRACES_PER_REQUEST} traces of 10 spans over 3 services per request, roots one request late); edges found ${edges.map((e) => `${e.parent}->${e.child} ${e.n}`).join(", ")}; ${pending} parents still awaited at the end`,
    );
  } finally {
    stores.on.close();
    stores.off.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const on = median(perRound.map((x) => x.on));
  const off = median(perRound.map((x) => x.off));
  const ratio = median(perRound.map((x) => x.on / x.off));
  notes.push(
    `aggregates: medians of ${rounds} rounds; over all rounds store ingest took ${(cpu.on / spans).toFixed(2)} µs/span with them, ${(cpu.off / spans).toFixed(2)} µs/span without (${((cpu.on - cpu.off) / spans).toFixed(2)} µs/span added; decoding not included); per-round ratios ${perRound.map((x) => (x.on / x.off).toFixed(2)).join(", ")}`,
  );
  return [
    {
      what: "store ingest CPU per span with the ingest-time aggregates (service edges, per-minute RED rows) vs without, file store, same process, alternating rounds (medians)",
      peer: "no aggregates",
      ours: on,
      theirs: off,
      unit: "µs/span",
      ratio,
      goal: "<= 1.1x",
      met: ratio <= 1.1,
    },
  ];
}

export async function run(): Promise<BenchResult> {
  const notes: string[] = [];
  const rows = await aggregateRows(notes);
  return { name: "viewer-aggregates", title: "Trace viewer: ingest-time aggregates", rows, notes };
}
