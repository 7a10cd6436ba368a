// The hand-written tasks.Stats encoder writes the same bytes as the generated codec, for tasks in
// every state (unpolled, polling, completed, huge counters and durations that take the fallback).
import assert from "node:assert/strict";
import { test } from "node:test";
import { TaskStats as TaskStatsCodec } from "@periscope/console-api";
import type { Metadata } from "@periscope/tracing";
import { ManualClock } from "../src/clock.ts";
import { ProtoBuilder } from "../src/protos.ts";
import { TaskEntity } from "../src/task-entity.ts";
import { encodeTaskStats } from "../src/task-stats-encoder.ts";

const META = { name: "runtime.spawn", target: "tokio::task" } as Metadata;

function check(clock: ManualClock, e: TaskEntity, what: string): void {
  const p = new ProtoBuilder(clock, 1e9, 1e9);
  const want = TaskStatsCodec.encode(p.taskStats(e)).finish();
  const got = encodeTaskStats(e, clock.timeOrigin, clock.now(), p);
  assert.deepEqual(got, want, what);
  assert.deepEqual(TaskStatsCodec.decode(got), p.taskStats(e));
}

test("a fresh, a polling and a completed task encode as the generated codec does", () => {
  const clock = new ManualClock(1_764_000_000_123.456);
  const e = new TaskEntity(1n, 1n, META, 12.345678, {}, undefined);
  check(clock, e, "fresh");
  e.polls = 1;
  e.firstPoll = 13.5;
  e.lastPollStarted = 13.5;
  e.current = 1;
  e.lastPollEnded = 13.6;
  check(clock, e, "in a poll: no last_poll_ended");
  e.current = 0;
  e.busyMs = 0.1234567;
  e.wakes = 3;
  e.wakerClones = 2;
  e.wakerDrops = 2;
  e.selfWakes = 1;
  e.lastWake = 14;
  e.scheduledMs = 1500.25;
  e.droppedAt = 20;
  check(clock, e, "completed");
});

test("the root mid-poll is sent as a poll that ends at the publish's now, not as running", () => {
  const clock = new ManualClock(1_764_000_000_000, 500);
  const root = new TaskEntity(1n, 1n, META, 0, { kind: "root" }, undefined);
  root.polls = 3;
  root.firstPoll = 1;
  root.lastPollStarted = 480.25;
  root.lastPollEnded = 470;
  root.busyMs = 12.5;
  root.current = 1;
  check(clock, root, "root polling");
  const p = new ProtoBuilder(clock, 1e9, 1e9);
  const stats = TaskStatsCodec.decode(encodeTaskStats(root, clock.timeOrigin, clock.now(), p));
  assert.equal(stats.pollStats?.lastPollEnded?.seconds, 1_764_000_000n);
  assert.equal(stats.pollStats?.lastPollEnded?.nanos, 500_000_000);
  // busy: the 12.5 ms before plus the 19.75 ms of this poll so far
  assert.equal(stats.pollStats?.busyTime?.nanos, 32_250_000);
  root.current = 0;
  check(clock, root, "root between polls");
});

test("random tasks, and values beyond 2^53 (the generated codec's path), match byte for byte", () => {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = (xs: number[]): number => xs[Math.floor(rnd() * xs.length)] as number;
  for (let i = 0; i < 2000; i++) {
    const clock = new ManualClock(
      pick([0, 1_000, 1_764_000_000_000.5, 1_700_000_000_000]),
      pick([0, 1e9 + rnd() * 1e6]),
    );
    const fields = rnd() < 0.2 ? { kind: "root" } : {};
    const e = new TaskEntity(BigInt(i + 1), 2n, META, rnd() * 1e7, fields, undefined);
    e.polls = pick([0, 1, 2, 127, 128, 300, 2 ** 40, 2 ** 60]);
    e.firstPoll = pick([Number.NaN, rnd() * 1e9, 0]);
    e.lastPollStarted = pick([Number.NaN, rnd() * 1e9]);
    e.lastPollEnded = pick([Number.NaN, rnd() * 1e9, 999.9999999]);
    e.current = pick([0, 0, 1]);
    e.busyMs = pick([0, rnd(), rnd() * 1e6, 1e12, 1e15]);
    e.scheduledMs = pick([0, rnd() * 10, 1000, 1e10]);
    e.wakes = pick([0, 1, 5, 2 ** 31, 2 ** 54]);
    e.wakerClones = pick([0, 3]);
    e.wakerDrops = pick([0, 3]);
    e.selfWakes = pick([0, 1]);
    e.lastWake = pick([Number.NaN, rnd() * 1e6]);
    e.droppedAt = pick([Number.NaN, rnd() * 1e8]);
    // A task in a poll has started one.
    if (e.current > 0 && Number.isNaN(e.lastPollStarted)) e.lastPollStarted = rnd() * 1e9;
    check(clock, e, `case ${i}`);
  }
});
