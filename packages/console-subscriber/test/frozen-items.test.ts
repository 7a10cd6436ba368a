// Completed tasks are encoded as they freeze while a client watches, and the next delta sends
// those bytes; past the cap between publishes (a paused client) it reads the rows back instead.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Update } from "@periscope/console-api";
import { registry } from "@periscope/tracing-subscriber";
import { builder, ManualClock } from "../src/index.ts";
import { taskSpan, View, wake } from "./helpers.ts";

function setup(): { clock: ManualClock; c: ReturnType<ReturnType<typeof builder>["spawn"]> } {
  const clock = new ManualClock();
  const c = builder().with({ serve: false, timer: false, clock, eventLoopMetrics: false }).spawn();
  registry().with(c.layer, c.filter).init();
  return { clock, c };
}

function shortTask(clock: ManualClock, name: string): bigint {
  const t = taskSpan(name);
  wake(t, "waker.clone");
  wake(t, "waker.wake_by_ref");
  clock.advance(0.05);
  t.inScope(() => clock.advance(0.02));
  t.close();
  return t.id as bigint;
}

const byName = <T extends { strName?: string | undefined }>(fields: T[]): T[] =>
  [...fields].sort((a, b) => (a.strName ?? "").localeCompare(b.strName ?? ""));

test("tasks that complete between publishes arrive once, completed, as a fresh client reads them", () => {
  const { clock, c } = setup();
  const live = new View();
  const announced = new Map<bigint, number>();
  const stop = c.onUpdate((parts) => {
    for (const p of parts)
      for (const t of Update.decode(p).taskUpdate?.newTasks ?? []) {
        const id = t.id?.id as bigint;
        announced.set(id, (announced.get(id) ?? 0) + 1);
      }
    live.applyBytes(parts);
  });
  // One completes after the aggregator took it (frozen on close), two while still queued.
  const held = taskSpan("held");
  c.tick();
  const ids = [shortTask(clock, "a"), shortTask(clock, "b"), held.id as bigint];
  held.inScope(() => clock.advance(0.01));
  held.close();
  c.tick();
  c.tick();
  for (const id of ids) {
    const got = live.tasks.get(id);
    assert.equal(announced.get(id), 1, `task ${id} announced once`);
    assert.ok(got?.stats?.droppedAt !== undefined, `task ${id} completed`);
    assert.equal(got?.stats?.pollStats?.polls, 1n);
  }
  // A fresh client's snapshot (read back from the rows) has the same tasks and stats.
  const fresh = new View();
  const stop2 = c.onUpdate((p) => fresh.applyBytes(p));
  for (const id of ids) {
    assert.deepEqual(fresh.tasks.get(id)?.stats, live.tasks.get(id)?.stats, `stats of ${id}`);
    const a = fresh.tasks.get(id)?.task;
    const l = live.tasks.get(id)?.task;
    assert.deepEqual(
      { ...a, fields: byName(a?.fields ?? []) },
      { ...l, fields: byName(l?.fields ?? []) },
    );
  }
  stop();
  stop2();
  c.close();
});

test("past 50,000 completed tasks between publishes the delta reads them all back from the rows", () => {
  const { clock, c } = setup();
  const live = new View();
  const stop = c.onUpdate((p) => live.applyBytes(p));
  const ids: bigint[] = [];
  for (let i = 0; i < 50_010; i++) ids.push(shortTask(clock, "many"));
  c.tick();
  assert.equal(live.droppedTaskEvents, 0n);
  for (const id of ids) assert.ok(live.tasks.get(id)?.stats?.droppedAt !== undefined, `task ${id}`);
  stop();
  c.close();
});
