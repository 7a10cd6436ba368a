// The span store: retention by age and by size, data kept across a restart, and an
// acknowledged batch surviving kill -9 of the viewer process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { decodeJson, TraceStore } from "@periscope/trace-viewer";
import { getJson, hexId, jsonRequest, postJson, tempDir, testViewer } from "./helpers.ts";

const DAY_MS = 86400e3;
const NOW_MS = Date.UTC(2026, 0, 15, 12);

function spansAt(service: string, traceNo: number, startMs: number, n = 1, pad = 0) {
  return decodeJson(
    jsonRequest(
      service,
      Array.from({ length: n }, (_, i) => ({
        traceId: hexId(traceNo, 16),
        spanId: hexId(i + 1, 8),
        name: `op-${i % 3}`,
        startNs: BigInt(startMs) * 1_000_000n + BigInt(i),
        durationNs: 1000n,
        attributes: [
          { key: "marker", value: { stringValue: `m-${traceNo}` } },
          { key: "pad", value: { stringValue: "x".repeat(pad) } },
        ],
      })),
    ),
  ).resources;
}

test("retention by age drops old spans and their tags, keeps recent ones", () => {
  let now = NOW_MS;
  const store = new TraceStore({
    path: ":memory:",
    retentionMs: 7 * DAY_MS,
    clock: () => now,
    retentionIntervalMs: 0,
  });
  try {
    store.ingest(spansAt("svc", 1, NOW_MS - 10 * DAY_MS, 5));
    store.ingest(spansAt("svc", 2, NOW_MS - 3600e3, 5));
    const q = (marker: string) =>
      store.reader.findTraceIds({
        service: "svc",
        tags: { marker },
        startUs: 0,
        endUs: NOW_MS * 1000,
        limit: 10,
      });
    assert.equal(q("m-1").length, 1);
    const r = store.enforceRetention();
    assert.equal(r.deletedByAge, 5);
    assert.equal(q("m-1").length, 0);
    assert.equal(q("m-2").length, 1);
    assert.equal(store.reader.trace(Buffer.from(hexId(1, 16), "hex")).length, 0);
    assert.equal(store.reader.trace(Buffer.from(hexId(2, 16), "hex")).length, 5);
    now += 8 * DAY_MS;
    assert.equal(store.enforceRetention().deletedByAge, 5);
    assert.deepEqual(store.reader.services(), [], "a service without spans is no longer listed");
  } finally {
    store.close();
  }
});

test("--max-size holds at every commit, counts the WAL, trims metadata, keeps the newest batches", async (t) => {
  const dir = tempDir(t);
  const maxBytes = 2 * 1024 * 1024;
  const v = await testViewer({ dataDir: dir, otlpGrpc: false, maxBytes, retentionMs: 0 });
  t.after(() => v.close());
  const file = join(dir, "traces.sqlite");
  const onDisk = () => {
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    return size(file) + size(`${file}-wal`);
  };
  const batches = 300;
  let biggestBatch = 0;
  let peak = 0;
  for (let b = 1; b <= batches; b++) {
    // Every batch comes from a new process (a unique resource, here 8 KB of attributes, and a
    // unique service): metadata alone outgrows the cap long before the end.
    const req = jsonRequest(`svc-${b}`, [
      ...Array.from({ length: 20 }, (_, i) => ({
        traceId: hexId(b, 16),
        spanId: hexId(i + 1, 8),
        name: `op-${b}`,
        startNs: BigInt(NOW_MS + b * 1000) * 1_000_000n + BigInt(i),
        durationNs: 1000n,
        attributes: [{ key: "pad", value: { stringValue: "p".repeat(200) } }],
      })),
    ]);
    req.resourceSpans[0]!.resource.attributes.push(
      { key: "process.pid", value: { stringValue: `pid-${b}` } } as never,
      { key: "process.command_line", value: { stringValue: "c".repeat(8192) } } as never,
    );
    const body = JSON.stringify(req);
    biggestBatch = Math.max(biggestBatch, body.length);
    assert.equal((await postJson(v.otlpHttpUrl, req)).status, 200);
    peak = Math.max(peak, onDisk());
    if (b > 5) {
      // The batches acknowledged last are all still there.
      for (const k of [b, b - 1, b - 5]) {
        const tr = await getJson(`${v.uiUrl}/api/traces/${hexId(k, 16)}`);
        assert.equal(tr.status, 200, `batch ${k} lost right after batch ${b} was acknowledged`);
        assert.equal(tr.body.data[0].spans.length, 20);
      }
    }
  }
  assert.ok(
    peak <= maxBytes + biggestBatch,
    `files reached ${peak} bytes, over the ${maxBytes}-byte cap plus one batch (${biggestBatch})`,
  );
  const services = (await getJson(`${v.uiUrl}/api/services`)).body.data as string[];
  assert.ok(services.includes(`svc-${batches}`));
  assert.ok(!services.includes("svc-1"), "the oldest service went with its spans");
  assert.equal((await getJson(`${v.uiUrl}/api/traces/${hexId(1, 16)}`)).status, 404);
  const ops = (await getJson(`${v.uiUrl}/api/operations`)).body.data as Array<{ name: string }>;
  assert.ok(!ops.some((o) => o.name === "op-1"), "operations are trimmed too");
  assert.ok(ops.length < batches / 2, `${ops.length} operations kept`);
});

test("data survives a restart of the viewer on the same data directory", async (t) => {
  const dir = tempDir(t);
  let v = await testViewer({ dataDir: dir, otlpGrpc: false });
  const req = jsonRequest("persist-svc", [
    {
      traceId: hexId(42, 16),
      spanId: hexId(1, 8),
      name: "kept",
      startNs: BigInt(Date.now()) * 1_000_000n,
      durationNs: 1000n,
    },
  ]);
  assert.equal((await postJson(v.otlpHttpUrl, req)).status, 200);
  await v.close();
  v = await testViewer({ dataDir: dir, otlpGrpc: false });
  t.after(() => v.close());
  assert.deepEqual((await getJson(`${v.uiUrl}/api/services`)).body.data, ["persist-svc"]);
  const tr = (await getJson(`${v.uiUrl}/api/traces/${hexId(42, 16)}`)).body.data[0];
  assert.equal(tr.spans[0].operationName, "kept");
  // New spans continue after the old ones (ids are not reused).
  const req2 = jsonRequest("persist-svc", [
    {
      traceId: hexId(43, 16),
      spanId: hexId(1, 8),
      name: "later",
      startNs: BigInt(Date.now()) * 1_000_000n,
      durationNs: 1000n,
    },
  ]);
  assert.equal((await postJson(v.otlpHttpUrl, req2)).status, 200);
  assert.equal(v.store.reader.stats().spanCount, 2);
});

test("an acknowledged batch survives kill -9 of the viewer", async (t) => {
  const dir = tempDir(t);
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "fixtures", "viewer-child.ts"), dir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  t.after(() => child.kill("SIGKILL"));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (c) => reject(new Error(`child exited early (${c})`)));
  });
  const { otlp } = JSON.parse(line) as { otlp: string };
  const n = 200;
  const req = jsonRequest(
    "durable-svc",
    Array.from({ length: n }, (_, i) => ({
      traceId: hexId(99, 16),
      spanId: hexId(i + 1, 8),
      name: `span-${i}`,
      startNs: BigInt(Date.now()) * 1_000_000n,
      durationNs: 1000n,
    })),
  );
  const r = await postJson(otlp, req);
  assert.equal(r.status, 200);
  // No grace period: the kill lands right after the acknowledgement.
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  const store = new TraceStore({ path: join(dir, "traces.sqlite"), retentionIntervalMs: 0 });
  try {
    assert.equal(store.reader.trace(Buffer.from(hexId(99, 16), "hex")).length, n);
  } finally {
    store.close();
  }
});

test("duration search: a rare minimum uses the duration index, a common one walks time", () => {
  const store = new TraceStore({ path: ":memory:", retentionIntervalMs: 0 });
  try {
    const spans = Array.from({ length: 3000 }, (_, i) => ({
      traceId: hexId(i + 1, 16),
      spanId: hexId(1, 8),
      name: "op",
      startNs: BigInt(NOW_MS + i) * 1_000_000n,
      // Every span lasts 1-2 ms, except trace 10 which lasts 5 s.
      durationNs: i === 9 ? 5_000_000_000n : 1_000_000n + BigInt(i % 1000) * 1000n,
    }));
    store.ingest(decodeJson(jsonRequest("svc", spans)).resources);
    const find = (minDurationUs: number, limit: number) =>
      store.reader
        .findTraceIds({
          service: "svc",
          startUs: 0,
          endUs: (NOW_MS + 10_000) * 1000,
          minDurationUs,
          limit,
        })
        .map((b) => b.toString("hex"));
    assert.deepEqual(find(1_000_000, 20), [hexId(10, 16)]);
    // Common minimum: the newest traces first, as a time walk gives them.
    assert.deepEqual(find(1000, 3), [hexId(3000, 16), hexId(2999, 16), hexId(2998, 16)]);
  } finally {
    store.close();
  }
});

test("bucketed tag and duration indexes find old and new traces, newest first, within the window", () => {
  const store = new TraceStore({ path: ":memory:", retentionIntervalMs: 0 });
  try {
    // 1,000 traces arrive one by one (about four index buckets); two carry a tag, two are slow.
    for (let i = 1; i <= 1000; i++) {
      const [r] = decodeJson(
        jsonRequest("svc", [
          {
            traceId: hexId(i, 16),
            spanId: hexId(1, 8),
            name: "op",
            startNs: BigInt(NOW_MS + i * 1000) * 1_000_000n,
            durationNs: i === 5 || i === 950 ? 9_000_000_000n : 1_000_000n,
            attributes:
              i === 3 || i === 900 ? [{ key: "user", value: { stringValue: "u-1" } }] : [],
          },
        ]),
      ).resources;
      store.ingest([r!]);
    }
    const find = (extra: object, startMs = NOW_MS, endMs = NOW_MS + 2_000_000) =>
      store.reader
        .findTraceIds({
          service: "svc",
          startUs: startMs * 1000,
          endUs: endMs * 1000,
          limit: 10,
          ...extra,
        })
        .map((b) => b.toString("hex"));
    assert.deepEqual(find({ tags: { user: "u-1" } }), [hexId(900, 16), hexId(3, 16)]);
    assert.deepEqual(find({ minDurationUs: 5_000_000 }), [hexId(950, 16), hexId(5, 16)]);
    assert.deepEqual(find({ tags: { user: "u-1" } }, NOW_MS, NOW_MS + 10_000), [hexId(3, 16)]);
    assert.deepEqual(find({ minDurationUs: 5_000_000 }, NOW_MS + 100_000), [hexId(950, 16)]);
    assert.deepEqual(find({ tags: { user: "u-2" } }), []);
  } finally {
    store.close();
  }
});

test("retention works in bounded steps, and the timer finishes the job in the background", async () => {
  const store = new TraceStore({
    path: ":memory:",
    retentionMs: DAY_MS,
    clock: () => NOW_MS,
    retentionIntervalMs: 0,
  });
  try {
    // Five traces of 50 spans, so five chunks: a step deletes whole chunks.
    for (let t = 1; t <= 5; t++) store.ingest(spansAt("svc", t, NOW_MS - 2 * DAY_MS, 50));
    const first = store.enforceRetention(100);
    assert.equal(first.deletedByAge, 100);
    assert.equal(first.more, true);
    const rest = store.enforceRetention();
    assert.equal(rest.deletedByAge, 150);
    assert.equal(rest.more, false);
  } finally {
    store.close();
  }
  const timed = new TraceStore({
    path: ":memory:",
    retentionMs: DAY_MS,
    clock: () => NOW_MS,
    retentionIntervalMs: 10,
  });
  try {
    timed.ingest(spansAt("svc", 2, NOW_MS - 2 * DAY_MS, 300));
    timed.ingest(spansAt("svc", 3, NOW_MS - 1000, 3));
    for (let i = 0; i < 200 && timed.reader.stats().spanCount > 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(timed.reader.stats().spanCount, 3, "only the recent trace is left");
  } finally {
    timed.close();
  }
});
