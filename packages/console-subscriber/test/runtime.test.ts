// The real @periscope/runtime under the console layer: its spans and events follow the
// conventions this package consumes, and the scripted workload reads back correctly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeHdrHistogramV2 } from "@periscope/console-api";
import { Mutex, sleep, spawn } from "@periscope/runtime";
import { registry } from "@periscope/tracing-subscriber";
import { builder } from "../src/index.ts";
import { busy, durMs, View } from "./helpers.ts";

test("runtime tasks, polls, wakes, the Mutex resource and its async op", async () => {
  const c = builder().with({ serve: false, timer: false, eventLoopMetrics: false }).spawn();
  registry().with(c.layer, c.filter).init();
  const view = new View();
  c.onUpdate((p) => view.applyBytes(p));
  try {
    const blocker = spawn(() => busy(100), { name: "blocker" });
    const sleeper = spawn(
      async () => {
        for (let i = 0; i < 3; i++) await sleep(20);
      },
      { name: "sleeper" },
    );
    const m = new Mutex(0);
    const locker = spawn(
      async () => {
        const g = await m.lock();
        await sleep(1);
        g.release();
      },
      { name: "locker" },
    );
    await Promise.all([blocker, sleeper, locker]);
    await sleep(20);
    c.tick();

    const b = view.taskNamed("blocker");
    assert.ok(b, "blocker task seen");
    assert.ok(durMs(b.stats?.pollStats?.busyTime) >= 100, "a 100 ms block is 100 ms busy");
    const h = decodeHdrHistogramV2(
      c.taskDetails(b.task.id?.id as bigint)?.histogram?.rawHistogram ?? Buffer.alloc(0),
    );
    assert.ok(h.max >= 100_000_000, `longest poll ${h.max} ns`);
    assert.ok(b.task.location?.file?.endsWith("runtime.test.ts"), String(b.task.location?.file));

    const s = view.taskNamed("sleeper");
    assert.ok(
      (s?.stats?.pollStats?.polls ?? 0n) >= 4n,
      `sleeper polls ${s?.stats?.pollStats?.polls}`,
    );
    assert.ok((s?.stats?.wakes ?? 0n) >= 3n);
    assert.ok(s?.stats?.droppedAt, "completed task has dropped_at");

    const mutex = view.resourceOfType("Mutex");
    assert.ok(mutex, "Mutex resource seen");
    const lockOp = [...view.asyncOps.values()].find((o) => o.op.source === "Mutex::lock");
    assert.ok(lockOp, "Mutex::lock async op seen");
    // The op is on the mutex or on its internal semaphore, whose parent is the mutex.
    const res = view.resources.get(lockOp.op.resourceId?.id as bigint)?.resource;
    assert.ok(
      res?.id?.id === mutex.resource.id?.id || res?.parentResourceId?.id === mutex.resource.id?.id,
    );
    const lockerTask = view.taskNamed("locker");
    assert.equal(lockOp.stats?.taskId?.id, lockerTask?.task.id?.id);
  } finally {
    c.close();
  }
});
