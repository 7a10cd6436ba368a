// A live task's doubles in the shared pool: fresh values, slots reused once released, and a
// detached task (a wide frozen row) keeping its values after its slot is reused.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Metadata } from "@periscope/tracing";
import { TaskEntity, TaskSlots } from "../src/task-entity.ts";

const META = { name: "runtime.spawn", target: "tokio::task" } as Metadata;

function task(id: number, pool: TaskSlots | undefined, at = 10): TaskEntity {
  return new TaskEntity(BigInt(id), 1n, META, at, { "task.name": `t${id}` }, undefined, pool);
}

test("a pooled task starts with nothing happened, and its writes stay its own", () => {
  const pool = new TaskSlots();
  const a = task(1, pool, 5);
  const b = task(2, pool, 7);
  assert.equal(a.createdAt, 5);
  assert.ok(Number.isNaN(a.firstPoll) && Number.isNaN(a.droppedAt) && Number.isNaN(a.pollOne));
  assert.equal(a.busyMs, 0);
  a.busyMs = 1.5;
  a.lastWake = 6;
  b.busyMs = 2.5;
  assert.equal(a.busyMs, 1.5);
  assert.equal(b.busyMs, 2.5);
  assert.equal(a.lastWake, 6);
  assert.ok(Number.isNaN(b.lastWake));
  assert.equal(pool.inUse, 2);
});

test("released slots are reused, fresh, and a released task reads nothing", () => {
  const pool = new TaskSlots();
  const many = Array.from({ length: 3000 }, (_, i) => task(i + 1, pool));
  for (const t of many) t.busyMs = 9;
  for (const t of many) t.release();
  assert.equal(pool.inUse, 0);
  assert.equal(many[0]?.busyMs, undefined, "a released task has no values left");
  const again = task(5000, pool, 42);
  assert.equal(pool.inUse, 1);
  assert.equal(again.busyMs, 0, "a reused slot starts fresh");
  assert.equal(again.createdAt, 42);
  again.release();
  again.release();
  assert.equal(pool.inUse, 0, "releasing twice gives the slot back once");
});

test("a detached task keeps its values while its old slot serves another", () => {
  const pool = new TaskSlots();
  const a = task(1, pool, 3);
  a.busyMs = 4;
  a.droppedAt = 20;
  a.detach();
  assert.equal(pool.inUse, 0);
  const b = task(2, pool, 99);
  b.busyMs = 77;
  assert.equal(a.busyMs, 4);
  assert.equal(a.droppedAt, 20);
  assert.equal(a.createdAt, 3);
  a.lastPollEnded = 19;
  assert.equal(a.lastPollEnded, 19, "still writable");
  assert.ok(Number.isNaN(b.lastPollEnded));
});

test("a task made without a pool has values of its own", () => {
  const t = task(1, undefined, 8);
  t.scheduledMs = 0.25;
  t.detach();
  t.release();
  assert.equal(t.scheduledMs, 0.25);
  assert.equal(t.createdAt, 8);
});
