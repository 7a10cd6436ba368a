// Completed tasks in compact storage: frozen as soon as they complete, still announced in the
// next delta, read back identically (compact and wide rows), and kept while unpublished.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Update } from "@periscope/console-api";
import { registry } from "@periscope/tracing-subscriber";
import { builder, type ConsoleSubscriber, ManualClock } from "../src/index.ts";
import { durMs, taskSpan, View, wake } from "./helpers.ts";

function setup(retentionMs = 60_000): { clock: ManualClock; c: ConsoleSubscriber; view: View } {
  const clock = new ManualClock();
  const c = builder()
    .with({ serve: false, timer: false, clock, eventLoopMetrics: false, retentionMs })
    .spawn();
  registry().with(c.layer, c.filter).init();
  const view = new View();
  c.onUpdate((parts) => view.applyBytes(parts));
  return { clock, c, view };
}

test("a task spawned and completed between two publishes arrives whole in the next delta", () => {
  const s = setup();
  s.c.tick();
  const t = taskSpan("brief");
  wake(t, "waker.wake_by_ref");
  s.clock.advance(1);
  t.inScope(() => s.clock.advance(3));
  t.close();
  s.clock.advance(2);
  s.c.tick();
  const got = s.view.taskNamed("brief");
  assert.ok(got, "announced in new_tasks");
  assert.equal(got.stats?.pollStats?.polls, 1n);
  assert.ok(got.stats?.droppedAt !== undefined, "with its dropped_at");
  assert.equal(durMs(got.stats?.pollStats?.busyTime), 3);
  assert.equal(s.view.orphanStats, 0);
  // Sent once: the next delta does not repeat it.
  let again = 0;
  s.c.onUpdate((parts) => {
    for (const p of parts)
      again += (Update.decode(p).taskUpdate?.statsUpdate.size ?? 0) > 0 ? 1 : 0;
  });
  again = 0;
  s.clock.advance(1);
  s.c.tick();
  assert.equal(again, 0, "no task changed since");
  s.c.close();
});

test("a long-lived task (beyond the compact form's 4.29 s) reads back identically", () => {
  const s = setup();
  const long = taskSpan("long", 20);
  wake(long, "waker.wake_by_ref");
  long.inScope(() => s.clock.advance(2));
  s.clock.advance(10_000);
  wake(long, "waker.wake_by_ref");
  long.inScope(() => s.clock.advance(5));
  const short = taskSpan("short", 21);
  short.inScope(() => s.clock.advance(1));
  long.close();
  short.close();
  s.c.tick();
  assert.equal(s.c.stats().tasks, 2);
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  for (const name of ["long", "short"]) {
    assert.deepEqual(fresh.taskNamed(name)?.task, s.view.taskNamed(name)?.task, `${name} task`);
    assert.deepEqual(fresh.taskNamed(name)?.stats, s.view.taskNamed(name)?.stats, `${name} stats`);
  }
  assert.equal(fresh.taskNamed("long")?.stats?.pollStats?.polls, 2n);
  assert.ok(s.c.taskDetails(long.id as bigint), "task details for a wide row");
  assert.ok(s.c.taskDetails(short.id as bigint), "task details for a compact row");
  s.c.close();
});

test("a completed task that no delta has sent yet outlives its retention until sent", () => {
  const s = setup(1_000);
  s.c.tick();
  const t = taskSpan("late");
  t.inScope(() => s.clock.advance(1));
  t.close();
  s.clock.advance(5_000); // past retention, but a watcher has not seen it
  s.c.tick();
  const got = s.view.taskNamed("late");
  assert.ok(got?.stats?.droppedAt !== undefined, "its completion was sent first");
  s.clock.advance(5_000);
  s.c.tick();
  assert.equal(s.c.stats().tasks, 0, "then forgotten");
  s.c.close();
});

test("a task with more polls than a compact row counts (255) reads back identically", () => {
  const s = setup();
  const busyTask = taskSpan("many", 30);
  for (let i = 0; i < 300; i++) {
    wake(busyTask, "waker.wake_by_ref");
    s.clock.advance(1);
    busyTask.inScope(() => s.clock.advance(1));
  }
  busyTask.close();
  s.c.tick();
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  assert.equal(fresh.taskNamed("many")?.stats?.pollStats?.polls, 300n);
  assert.deepEqual(fresh.taskNamed("many")?.stats, s.view.taskNamed("many")?.stats);
  s.c.close();
});

test("10,000 short tasks: packed once published, and read back, found and expired as before", () => {
  const s = setup(60_000);
  s.c.tick();
  const ids: bigint[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = taskSpan(i % 1000 === 0 ? "odd" : "short", 40 + (i % 3));
    wake(t, "waker.wake_by_ref");
    s.clock.advance(0.0017 + (i % 7) / 1e4);
    t.inScope(() => s.clock.advance(0.0023 + (i % 5) / 1e5));
    if (i % 1000 === 0) {
      // a second poll (a histogram and a last-poll column), and one long-lived enough to be wide
      wake(t, "waker.wake");
      s.clock.advance(i === 5000 ? 5_000 : 0.5);
      t.inScope(() => s.clock.advance(0.004));
    }
    t.close();
    ids.push(t.id as bigint);
    if (i % 2500 === 0) s.c.tick();
  }
  s.c.tick();
  assert.equal(s.c.stats().tasks, 10_000);
  // Two full chunks of 4,096 rows packed; the third, still filling, open at 51 bytes a row.
  const packedPerRow = (s.c.stats().retainedTaskBytes - 4096 * 51) / 8192;
  assert.ok(packedPerRow < 20, `${packedPerRow.toFixed(1)} bytes a packed row`);
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  assert.equal(fresh.tasks.size, 10_000);
  for (const [id, t] of s.view.tasks) {
    const got = fresh.tasks.get(id);
    assert.deepEqual(got?.task, t.task, `task ${id}`);
    assert.deepEqual(got?.stats, t.stats, `stats of task ${id}`);
  }
  for (const i of [0, 1, 4097, 5000, 9999]) {
    const d = s.c.taskDetails(ids[i] as bigint);
    assert.equal(d?.taskId?.id, ids[i], `details of task #${i}`);
  }
  assert.equal(s.c.taskDetails((ids[9999] as bigint) + 1_000_000n), undefined);
  s.clock.advance(120_000);
  s.c.tick();
  assert.equal(s.c.stats().tasks, 0, "all expired");
  // Only the chunk being filled is left (55 bytes a row: three int32 ids, the drop time, seven
  // uint32s and seven bytes), with its last-poll column and its blob's offsets and
  // first 1 KiB (some of its tasks polled twice: their histograms are in the blob).
  assert.equal(s.c.stats().retainedTaskBytes, 4096 * 55 + 4096 * 4 + 4096 * 4 + 1024);
  s.c.close();
});
