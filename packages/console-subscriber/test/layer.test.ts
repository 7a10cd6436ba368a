// The layer and aggregator against a manual clock: snapshot then deltas, cumulative stats,
// retention, drops, wakers, resources and async ops, long polls, histograms, recording.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { decodeHdrHistogramV2, decodeRecording, Update } from "@periscope/console-api";
import { registry } from "@periscope/tracing-subscriber";
import {
  builder,
  type ConsoleOptions,
  type ConsoleSubscriber,
  ManualClock,
  WARNINGS_RESOURCE_ID,
} from "../src/index.ts";
import {
  ASYNC_OP,
  durMs,
  fieldValue,
  POLL_OP,
  RESOURCE,
  STATE,
  taskSpan,
  View,
  WAKER,
  wake,
} from "./helpers.ts";

function setup(opts: Partial<ConsoleOptions> = {}): {
  clock: ManualClock;
  c: ConsoleSubscriber;
  raw: Update[];
  view: View;
} {
  const clock = new ManualClock();
  const c = builder()
    .with({ serve: false, timer: false, clock, eventLoopMetrics: false, ...opts })
    .spawn();
  registry().with(c.layer, c.filter).init();
  return { clock, c, raw: [], view: new View() };
}

function watch(s: { c: ConsoleSubscriber; raw: Update[]; view: View }): void {
  s.c.onUpdate((parts) => {
    for (const p of parts) {
      const u = Update.decode(p);
      s.raw.push(u);
      s.view.apply(u);
    }
  });
}

test("first Update carries everything; later ones only what changed, stats cumulative", () => {
  const s = setup();
  const a = taskSpan("a");
  a.inScope(() => s.clock.advance(2));
  watch(s);
  const first = s.raw[0] as Update;
  assert.equal(first.taskUpdate?.newTasks.length, 1);
  const aid = a.id as bigint;
  assert.equal(first.taskUpdate?.statsUpdate.get(aid)?.pollStats?.polls, 1n);
  assert.ok((first.newMetadata?.metadata.length ?? 0) >= 1, "all metadata in the first update");
  const metaId = first.taskUpdate?.newTasks[0]?.metadata?.id as bigint;
  assert.equal(s.view.metas.get(metaId)?.name, "runtime.spawn");
  assert.equal(s.view.metas.get(metaId)?.level, 4, "TRACE is 4 on the wire");

  s.c.tick();
  const quiet = s.raw.at(-1) as Update;
  assert.equal(quiet.taskUpdate?.newTasks.length, 0);
  assert.equal(quiet.taskUpdate?.statsUpdate.size, 0);

  a.inScope(() => s.clock.advance(3));
  s.c.tick();
  const second = s.raw.at(-1) as Update;
  assert.equal(second.taskUpdate?.newTasks.length, 0, "a known task is not re-announced");
  const st = second.taskUpdate?.statsUpdate.get(aid);
  assert.equal(st?.pollStats?.polls, 2n, "polls are cumulative");
  assert.equal(durMs(st?.pollStats?.busyTime), 5);

  const b = taskSpan("b");
  s.c.tick();
  const third = s.raw.at(-1) as Update;
  assert.equal(third.taskUpdate?.newTasks.length, 1);
  assert.ok(
    third.taskUpdate?.statsUpdate.has(b.id as bigint),
    "new task's stats in the same Update",
  );
  const t = s.view.taskNamed("a")?.task;
  assert.equal(t?.location?.file, "app/worker.ts");
  assert.equal(t?.location?.line, 10);
  assert.equal(fieldValue(t?.fields ?? [], "loc.file"), undefined, "loc.* become the location");
  assert.equal(typeof fieldValue(t?.fields ?? [], "task.id"), "bigint");
  s.c.close();
});

test("completed tasks get dropped_at and stay for the retention period", () => {
  const s = setup({ retentionMs: 10_000 });
  watch(s);
  const a = taskSpan("done");
  a.inScope(() => s.clock.advance(1));
  s.clock.advance(4);
  a.close();
  s.c.tick();
  const st = s.view.taskNamed("done")?.stats;
  assert.ok(st?.droppedAt, "dropped_at set");
  assert.equal(
    durMs({ seconds: st.droppedAt.seconds, nanos: st.droppedAt.nanos }) - durMs(st.createdAt),
    5,
  );
  s.clock.advance(9_000);
  s.c.tick();
  assert.equal(s.c.stats().tasks, 1, "kept within retention");
  s.clock.advance(2_000);
  s.c.tick();
  assert.equal(s.c.stats().tasks, 0, "forgotten after retention");
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  assert.equal(fresh.tasks.size, 0);
  s.c.close();
});

test("maxRetained keeps only the newest completed tasks and closed resources", () => {
  const s = setup({ retentionMs: 3_600_000, maxRetained: 3 });
  watch(s);
  for (let i = 0; i < 10; i++) {
    const t = taskSpan(`t${i}`);
    t.inScope(() => s.clock.advance(1));
    t.close();
    RESOURCE.span({ concrete_type: `r${i}`, kind: "Sync" }, null).close();
    s.clock.advance(1);
  }
  s.c.tick(); // sent first: a completed task outlives the cap until a delta announced it
  s.c.tick();
  assert.equal(s.c.stats().tasks, 3);
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  assert.deepEqual(
    [...fresh.tasks.values()].map((e) => fieldValue(e.task.fields, "task.name")).sort(),
    ["t7", "t8", "t9"],
  );
  const rs = [...fresh.resources.values()]
    .map((e) => e.resource.concreteType)
    .filter((t) => /^r\d$/.test(t));
  assert.deepEqual(rs.sort(), ["r7", "r8", "r9"]);
  s.c.close();
});

test("a full queue drops new entities and reports dropped_events", () => {
  const s = setup({ bufferCapacity: 3 });
  watch(s);
  const spans = [];
  for (let i = 0; i < 5; i++) spans.push(taskSpan(`t${i}`));
  // Untracked tasks are ignored entirely, even when polled.
  for (const sp of spans) sp.inScope(() => s.clock.advance(1));
  s.c.tick();
  assert.equal(s.view.tasks.size, 3);
  assert.equal(s.view.droppedTaskEvents, 2n);
  s.c.tick();
  assert.equal(s.view.droppedTaskEvents, 2n, "a drop is reported once");
  s.c.close();
});

test("wakes, self-wakes, waker clones and drops, scheduled time", () => {
  const s = setup();
  watch(s);
  const t = taskSpan("w");
  t.inScope(() => {
    s.clock.advance(1);
    wake(t, "waker.clone");
    wake(t, "waker.wake_by_ref"); // while polled: a self-wake
  });
  s.clock.advance(10);
  wake(t, "waker.wake"); // consumes the clone
  s.clock.advance(5);
  t.inScope(() => s.clock.advance(1)); // scheduled for 5 ms
  wake(t, "waker.clone");
  wake(t, "waker.drop"); // nothing left to wake it: a lost waker
  s.c.tick();
  const st = s.view.taskNamed("w")?.stats;
  assert.equal(st?.wakes, 2n);
  assert.equal(st?.selfWakes, 1n);
  assert.equal(st?.wakerClones, 2n);
  assert.equal(st?.wakerDrops, 2n, "wake consumes a waker; drop drops one");
  assert.equal(durMs(st?.scheduledTime), 5, "scheduled = last wake -> next poll start");
  assert.ok(st?.lastWake);
  const d = s.c.taskDetails(t.id as bigint);
  const sched = decodeHdrHistogramV2(d?.scheduledTimesHistogram?.rawHistogram ?? Buffer.alloc(0));
  assert.equal(sched.totalCount, 1);
  assert.ok(sched.max >= 5_000_000 && sched.max < 5_100_000);
  s.c.close();
});

test("resources, async ops and poll ops with the right parents and attributes", () => {
  const s = setup();
  watch(s);
  const mutex = RESOURCE.span(
    {
      concrete_type: "Mutex",
      kind: "Sync",
      inherits_child_attrs: true,
      "loc.file": "db.ts",
      "loc.line": 3,
      "loc.col": 1,
    },
    null,
  );
  const sem = RESOURCE.span({ concrete_type: "Semaphore", kind: "Sync", is_internal: true }, mutex);
  const timer = RESOURCE.span({ concrete_type: "Sleep", kind: "timer" }, null);
  STATE.event({ locked: false, "locked.op": "override" }, undefined, mutex);
  STATE.event({ permits: 1, "permits.op": "override", "permits.unit": "permits" }, undefined, sem);
  const task = taskSpan("locker");
  task.inScope(() => {
    const lock = ASYNC_OP.span({ source: "Mutex::lock" }, mutex);
    const acquire = lock.inScope(() => ASYNC_OP.span({ source: "Semaphore::acquire" }, sem));
    acquire.inScope(() => s.clock.advance(1));
    POLL_OP.event({ op_name: "poll_acquire", is_ready: true }, undefined, acquire);
    STATE.event({ permits: 1, "permits.op": "sub" }, undefined, sem);
    STATE.event({ locked: true, "locked.op": "override" }, undefined, mutex);
    acquire.close();
    lock.close();
  });
  s.c.tick();
  const m = s.view.resourceOfType("Mutex");
  const sm = s.view.resourceOfType("Semaphore");
  const tm = s.view.resourceOfType("Sleep");
  assert.equal(m?.resource.kind?.other, "Sync");
  assert.equal(tm?.resource.kind?.known, 0, "timer is the Known TIMER kind");
  assert.equal(m?.resource.location?.file, "db.ts");
  assert.equal(sm?.resource.parentResourceId?.id, mutex.id);
  assert.equal(sm?.resource.isInternal, true);
  const attr = (st: typeof m, name: string) =>
    st?.stats?.attributes.find((a) => a.field?.strName === name);
  assert.equal(attr(m, "locked")?.field?.boolVal, true);
  assert.equal(attr(sm, "permits")?.field?.u64Val, 0n, "1 then sub 1");
  assert.equal(attr(sm, "permits")?.unit, "permits");
  // The mutex inherits its child's attributes, as upstream.
  assert.ok(attr(m, "permits"), "inherited from the semaphore");
  const ops = [...s.view.asyncOps.values()];
  const lockOp = ops.find((o) => o.op.source === "Mutex::lock");
  const acqOp = ops.find((o) => o.op.source === "Semaphore::acquire");
  assert.equal(lockOp?.op.resourceId?.id, mutex.id);
  assert.equal(acqOp?.op.resourceId?.id, sem.id);
  assert.equal(acqOp?.op.parentAsyncOpId?.id, lockOp?.op.id?.id);
  assert.equal(acqOp?.stats?.taskId?.id, task.id);
  assert.equal(acqOp?.stats?.pollStats?.polls, 1n);
  assert.ok(acqOp?.stats?.droppedAt);
  assert.equal(s.view.pollOps.length, 1);
  assert.equal(s.view.pollOps[0]?.name, "poll_acquire");
  assert.equal(s.view.pollOps[0]?.taskId?.id, task.id);
  assert.equal(s.view.pollOps[0]?.resourceId?.id, sem.id);
  assert.equal(s.view.orphanStats, 0);
  timer.close();
  s.c.tick();
  assert.ok(
    s.view.resourceOfType("Sleep")?.stats?.droppedAt,
    "closing the span drops the resource",
  );
  s.c.close();
});

test("a long poll is a warning with its task and location; its histogram shows it", () => {
  const s = setup({ longPollThresholdMs: 50 });
  watch(s);
  const t = taskSpan("hog", 42);
  t.inScope(() => s.clock.advance(120));
  t.inScope(() => s.clock.advance(1));
  s.c.tick();
  assert.equal(s.c.stats().longPolls, 1);
  const w = s.view.resources.get(WARNINGS_RESOURCE_ID);
  assert.equal(w?.resource.concreteType, "periscope::Warnings");
  const a = (n: string) => w?.stats?.attributes.find((x) => x.field?.strName === n)?.field;
  assert.equal(a("long_polls")?.u64Val, 1n);
  assert.equal(a("last_long_poll.span_id")?.u64Val, t.id);
  assert.equal(a("last_long_poll.duration")?.u64Val, 120_000n);
  assert.equal(a("last_long_poll.location")?.strVal, "app/worker.ts:42:7");
  assert.match(String(a("last_long_poll.task")?.strVal), /hog/);
  // And one poll op per long poll on the warnings resource, for a console to list.
  const ops = s.view.pollOps.filter((o) => o.resourceId?.id === WARNINGS_RESOURCE_ID);
  assert.equal(ops.length, 1);
  assert.equal(ops[0]?.name, "long_poll 120.0ms app/worker.ts:42:7");
  assert.equal(ops[0]?.taskId?.id, t.id);
  const d = s.c.taskDetails(t.id as bigint);
  const h = decodeHdrHistogramV2(d?.histogram?.rawHistogram ?? Buffer.alloc(0));
  assert.equal(h.totalCount, 2);
  assert.ok(h.max >= 120_000_000 && h.max < 121_300_000, String(h.max));
  s.c.close();
});

test("recording: the file replays to the same picture as a live watcher", () => {
  const dir = mkdtempSync(join(tmpdir(), "console-rec-"));
  try {
    const path = join(dir, "rec.bin");
    const s = setup({ recordPath: path });
    watch(s);
    const a = taskSpan("rec-a");
    a.inScope(() => s.clock.advance(3));
    s.c.tick();
    const r = RESOURCE.span({ concrete_type: "Notify", kind: "Sync" }, null);
    a.close();
    s.clock.advance(1);
    s.c.tick();
    r.close();
    s.c.close();
    const rec = decodeRecording(readFileSync(path));
    assert.equal(rec.error, undefined);
    assert.equal(rec.truncatedBytes, 0);
    assert.ok(rec.updates.length >= 3);
    const replay = new View();
    for (const u of rec.updates) replay.apply(u);
    assert.deepEqual([...replay.tasks.keys()], [...s.view.tasks.keys()]);
    assert.deepEqual(replay.taskNamed("rec-a")?.stats, s.view.taskNamed("rec-a")?.stats);
    assert.ok(replay.resourceOfType("Notify")?.stats?.droppedAt);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a completed task reads back identically once stored compactly", () => {
  const s = setup();
  watch(s);
  const t = taskSpan("compact", 77);
  for (const ms of [2, 7, 30]) {
    wake(t, "waker.wake_by_ref");
    s.clock.advance(1);
    t.inScope(() => s.clock.advance(ms));
  }
  const single = taskSpan("single");
  single.inScope(() => s.clock.advance(4));
  t.close();
  single.close();
  s.c.tick(); // publishes the completion, then stores both compactly
  assert.equal(s.c.stats().tasks, 2);
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  for (const name of ["compact", "single"]) {
    assert.deepEqual(fresh.taskNamed(name)?.task, s.view.taskNamed(name)?.task, `${name} task`);
    assert.deepEqual(fresh.taskNamed(name)?.stats, s.view.taskNamed(name)?.stats, `${name} stats`);
  }
  const d = s.c.taskDetails(t.id as bigint);
  const polls = decodeHdrHistogramV2(d?.histogram?.rawHistogram ?? Buffer.alloc(0));
  assert.equal(polls.totalCount, 3);
  assert.ok(polls.max >= 30_000_000 && polls.max < 30_400_000);
  const one = decodeHdrHistogramV2(
    s.c.taskDetails(single.id as bigint)?.histogram?.rawHistogram ?? Buffer.alloc(0),
  );
  assert.equal(one.totalCount, 1);
  assert.ok(one.max >= 4_000_000 && one.max < 4_100_000);
  s.c.close();
});

test("with the performance clock, the instants callers pass to enter, exit and wakes are used as given", () => {
  // The runtime reads the clock once per poll boundary and passes it on; the layer then reads none.
  const c = builder().with({ serve: false, timer: false, eventLoopMetrics: false }).spawn();
  const reg = registry().with(c.layer, c.filter);
  reg.init();
  const s = { c, raw: [] as Update[], view: new View() };
  const a = taskSpan("passed");
  const id = a.id as bigint;
  const t0 = performance.now() + 10_000;
  WAKER.event({ op: "waker.wake_by_ref", "task.id": id }, undefined, undefined, t0);
  reg.enter(id, t0 + 2);
  reg.exit(id, t0 + 5);
  watch(s);
  const st = s.raw[0]?.taskUpdate?.statsUpdate.get(id);
  assert.equal(durMs(st?.pollStats?.busyTime), 3, "busy = exit - enter, as passed");
  assert.equal(durMs(st?.scheduledTime), 2, "scheduled = enter - wake, as passed");
  c.close();
});

test("with another clock, passed instants are ignored: the layer reads its own", () => {
  const s = setup();
  const a = taskSpan("manual");
  const id = a.id as bigint;
  const reg = a.subscriber as unknown as {
    enter(id: bigint, at?: number): void;
    exit(id: bigint, at?: number): void;
  };
  reg.enter(id, 123_456);
  s.clock.advance(4);
  reg.exit(id, 1);
  watch(s);
  const st = s.raw[0]?.taskUpdate?.statsUpdate.get(id);
  assert.equal(durMs(st?.pollStats?.busyTime), 4);
});
