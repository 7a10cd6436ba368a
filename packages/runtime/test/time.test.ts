// Timers: sleep, timeout and interval on an injectable clock, their cancellation, and the Sleep
// resource with its async op and duration state (kind "timer").
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Interval,
  interval,
  ManualClock,
  type RuntimeError,
  sleep,
  spawn,
  TimeoutError,
  timeout,
} from "@periscope/runtime";
import { record } from "./recorder.ts";

const rec = record();

test("sleep follows the injected clock", async () => {
  const clock = new ManualClock();
  let done = false;
  const p = sleep(100, { clock }).then(() => {
    done = true;
  });
  await clock.advance(99);
  assert.equal(done, false);
  await clock.advance(1);
  await p;
  assert.equal(done, true);
  assert.equal(clock.pending, 0);
});

test("sleep is a Sleep resource of kind timer with a duration in ms", async () => {
  rec.clear();
  await sleep(1);
  const [[id, res]] = rec.resources("Sleep") as [[bigint, (typeof rec.log)[0]]];
  assert.equal(res.fields.kind, "timer");
  assert.equal(res.target, "tokio::time::sleep");
  assert.equal(res.fields["loc.file"], "packages/runtime/test/time.test.ts");
  assert.deepEqual(rec.stateUpdates(id)[0], {
    duration: 1,
    "duration.unit": "ms",
    "duration.op": "override",
    __entered: [],
  });
  const op = rec.log.find((r) => r.kind === "new" && r.parent === id);
  assert.equal(op?.fields.source, "Sleep::new_timeout");
  assert.equal(rec.of(id, "close").length, 1, "the resource closes when the sleep ends");
});

test("a task awaiting sleep three times shows at least 4 polls", async () => {
  const h = spawn(async () => {
    for (let i = 0; i < 3; i++) await sleep(2);
  });
  await h;
  await sleep(1);
  assert.ok(rec.polls(rec.taskSpan(h.id)).length >= 4);
});

test("sleep is cancelled by its signal and clears its timer", async () => {
  const clock = new ManualClock();
  const ac = new AbortController();
  const p = sleep(1000, { clock, signal: ac.signal });
  assert.equal(clock.pending, 1);
  ac.abort(new Error("stop"));
  await assert.rejects(p, /stop/);
  assert.equal(clock.pending, 0);
  await assert.rejects(
    sleep(-1),
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_INVALID_ARGUMENT",
  );
});

test("timeout rejects with PERISCOPE_TIMEOUT and aborts work given as a function", async () => {
  const clock = new ManualClock();
  let aborted = false;
  const p = timeout(
    50,
    (signal) =>
      new Promise<void>((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(signal.reason);
        });
      }),
    { clock },
  );
  const check = assert.rejects(
    p,
    (e: unknown) => e instanceof TimeoutError && e.code === "PERISCOPE_TIMEOUT" && e.ms === 50,
  );
  await clock.advance(50);
  await check;
  assert.equal(aborted, true);
  assert.equal(await timeout(50, Promise.resolve(7), { clock }), 7);
  assert.equal(clock.pending, 0, "the timer is cleared when the work wins");
});

test("interval: first tick at once, then every period; burst catches up", async () => {
  const clock = new ManualClock(1000);
  const iv = interval(10, { clock });
  assert.equal(await iv.tick(), 1000);
  const t = iv.tick();
  await clock.advance(10);
  assert.equal(await t, 1010);
  await clock.advance(35);
  assert.equal(await iv.tick(), 1020, "burst: missed ticks complete at once");
  assert.equal(await iv.tick(), 1030);
  assert.equal(await iv.tick(), 1040);
  const skip = interval(10, { clock, missedTickBehavior: "skip" });
  const start = await skip.tick();
  await clock.advance(35);
  assert.equal(await skip.tick(), start + 10, "the missed tick completes once");
  const next = skip.tick();
  await clock.advance(10);
  assert.equal(await next, start + 40, "skip: the schedule stays aligned to the start");
  iv.close();
  await assert.rejects(iv.tick(), /PERISCOPE_INVALID_ARGUMENT/);
  const ivs = rec.resources("Interval");
  assert.equal(ivs.length >= 2, true);
  for (const [, r] of ivs) assert.equal(r.fields["loc.file"], "packages/runtime/test/time.test.ts");
  new Interval(5, { clock }).close();
  assert.equal(
    rec.resources("Interval").at(-1)?.[1].fields["loc.file"],
    "packages/runtime/test/time.test.ts",
  );
});

test("a sleep wakes its task from outside it: one poll per sleep, woken before it starts", async () => {
  const h = spawn(async () => {
    for (let i = 0; i < 3; i++) await sleep(2);
  });
  await h;
  await sleep(1);
  const sid = rec.taskSpan(h.id);
  const polls = rec.polls(sid);
  assert.equal(polls.length, 4, "the first run and one resumption per sleep");
  const selfWakes = rec
    .wakes(sid, "waker.wake_by_ref")
    .filter((w) => (w.fields.__entered as bigint[]).includes(sid));
  assert.equal(selfWakes.length, 0);
});

test("timeout and interval ticks are cancelled by the task's abort", async () => {
  const clock = new ManualClock();
  const h = spawn(async () => timeout(1000, new Promise(() => {}), { clock }));
  const iv = interval(10, { clock });
  await iv.tick();
  const t = spawn(async () => iv.tick());
  await new Promise((r) => setImmediate(r));
  h.abort();
  t.abort();
  await assert.rejects(
    Promise.resolve(h),
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_TASK_CANCELLED",
  );
  await assert.rejects(
    Promise.resolve(t),
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_TASK_CANCELLED",
  );
  assert.equal(clock.pending, 0, "both timers were cleared");
  iv.close();
});

test("interval delay: after a late tick the next is one period after it", async () => {
  const clock = new ManualClock(0);
  const iv = interval(10, { clock, missedTickBehavior: "delay" });
  await iv.tick();
  await clock.advance(25);
  assert.equal(await iv.tick(), 10);
  const next = iv.tick();
  await clock.advance(10);
  assert.equal(await next, 35);
  iv.close();
});
