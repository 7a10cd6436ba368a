// Options from the environment and code, and the Update splitter's size guarantee.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Task, TaskStats, Update } from "@periscope/console-api";
import { builder, optionsFromEnv, parseBind, parseDuration } from "../src/index.ts";
import { encodeUpdates, Section } from "../src/update-encoder.ts";

test("durations read as tokio-console's humantime does", () => {
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("2"), 2000);
  assert.equal(parseDuration("10 parsecs"), undefined);
  assert.equal(parseDuration(""), undefined);
});

test("bind addresses default to loopback, never to all interfaces", () => {
  assert.deepEqual(parseBind("127.0.0.1:6669"), { host: "127.0.0.1", port: 6669 });
  assert.deepEqual(parseBind("[::1]:7000"), { host: "::1", port: 7000 });
  assert.deepEqual(parseBind(":7000"), { host: "127.0.0.1", port: 7000 });
  assert.equal(parseBind("127.0.0.1"), undefined);
  assert.equal(parseBind("127.0.0.1:99999"), undefined);
});

test("env vars set options; bad ones warn with a code and keep the default", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? "");
  process.on("warning", onWarning);
  const o = optionsFromEnv({
    PERISCOPE_CONSOLE_BIND: "127.0.0.1:7777",
    PERISCOPE_CONSOLE_RETENTION: "10s",
    PERISCOPE_CONSOLE_MAX_RETAINED: "5000",
    PERISCOPE_CONSOLE_PUBLISH_INTERVAL: "soon",
    PERISCOPE_CONSOLE_RECORD_PATH: "/tmp/x.rec",
    PERISCOPE_CONSOLE_BUFFER_CAPACITY: "-3",
  });
  // Warnings are emitted on a later tick.
  await new Promise((r) => setImmediate(r));
  process.off("warning", onWarning);
  assert.deepEqual(o, {
    bind: "127.0.0.1:7777",
    retentionMs: 10_000,
    maxRetained: 5000,
    recordPath: "/tmp/x.rec",
  });
  assert.deepEqual(warnings, ["PERISCOPE_CONSOLE_ENV", "PERISCOPE_CONSOLE_ENV"]);
});

test("bad options in code throw a coded RangeError", () => {
  assert.throws(() => builder().bind("nowhere").with({ serve: false }).spawn(), {
    code: "PERISCOPE_CONSOLE_OPTION",
  });
  assert.throws(() => builder().with({ serve: false, publishIntervalMs: 0 }).spawn(), RangeError);
});

test("a large Update is split into parts under the limit, each entity with its stats", () => {
  const items = [];
  for (let i = 1; i <= 300; i++)
    items.push({
      section: Section.TASK,
      id: BigInt(i),
      created: Task.encode(
        Task.fromPartial({
          id: { id: BigInt(i) },
          fields: [{ strName: "blob", strVal: "x".repeat(900) }],
        }),
      ).finish(),
      stats: TaskStats.encode(TaskStats.fromPartial({ wakes: BigInt(i) })).finish(),
    });
  const limit = 128 * 1024;
  const parts = encodeUpdates(
    {
      now: { seconds: 1n, nanos: 0 },
      metadata: [],
      items,
      pollOps: [],
      droppedTasks: 4,
      droppedResources: 0,
      droppedAsyncOps: 0,
    },
    limit,
  );
  assert.ok(parts.length >= 3, `${parts.length} parts`);
  let tasks = 0;
  let dropped = 0n;
  for (const p of parts) {
    assert.ok(p.length < limit, `part of ${p.length} bytes`);
    const u = Update.decode(p);
    assert.deepEqual(u.now, { seconds: 1n, nanos: 0 });
    // Each announced task's stats are in the same part.
    tasks += u.taskUpdate?.newTasks.length ?? 0;
    for (const t of u.taskUpdate?.newTasks ?? [])
      assert.equal(u.taskUpdate?.statsUpdate.get(t.id?.id as bigint)?.wakes, t.id?.id);
    assert.equal(u.taskUpdate?.newTasks.length, u.taskUpdate?.statsUpdate.size);
    dropped += u.taskUpdate?.droppedEvents ?? 0n;
  }
  assert.equal(tasks, 300);
  assert.equal(dropped, 4n, "drops counted once");
});

test("an unwritable record path warns with a code and the console runs without recording", async () => {
  const codes: string[] = [];
  const onWarning = (w: Error & { code?: string }) => codes.push(w.code ?? "");
  process.on("warning", onWarning);
  const c = builder()
    .with({ serve: false, timer: false, eventLoopMetrics: false })
    .recordPath("/nonexistent-dir/for/sure/rec.bin")
    .spawn();
  c.tick();
  c.close();
  await new Promise((r) => setImmediate(r));
  process.off("warning", onWarning);
  assert.deepEqual(codes, ["PERISCOPE_CONSOLE_RECORD_FAILED"]);
});
