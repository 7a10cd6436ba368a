// openTask(): a task opened from the outside, mid-callback, as @periscope/auto does for
// connections and requests: entered where its work begins, bound to an async resource,
// renamed by record(), closed by finish().
import assert from "node:assert/strict";
import { AsyncResource } from "node:async_hooks";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { configureRuntime, currentTask, openTask } from "@periscope/runtime";
import { record } from "./recorder.ts";

const rec = record();
// Hooks on before the first slice (as @periscope/auto does at start): a task opened in a slice
// whose start the hooks did not see gets its context but not that first poll.
configureRuntime();

test("enter() makes the rest of the callback, and what it schedules, the task's polls", async () => {
  let sid: bigint | undefined;
  let inTimer: unknown;
  await new Promise<void>((resolve) => {
    setImmediate(() => {
      const t = openTask({ name: "GET /x", fields: { method: "GET" } });
      sid = t.span.id;
      t.enter();
      setTimeout(() => {
        inTimer = currentTask()?.id;
        t.record({ status: 200, "task.name": "GET /x/:id" });
        t.finish();
        resolve();
      }, 5);
    });
  });
  assert.ok(sid !== undefined);
  await delay(5);
  const s = rec.spans.get(sid);
  assert.equal(s?.target, "tokio::task");
  assert.equal(s?.fields["task.name"], "GET /x");
  assert.equal(s?.fields.method, "GET");
  // The immediate's rest and the timer's callback: two polls, the second after a wake.
  assert.equal(rec.of(sid, "enter").length, 2);
  assert.equal(rec.of(sid, "exit").length, 2);
  assert.equal(rec.of(sid, "close").length, 1);
  const recorded = rec.log.find((r) => r.kind === "record" && r.id === sid);
  assert.equal(recorded?.fields.status, 200);
  assert.equal(recorded?.fields["task.name"], "GET /x/:id");
  assert.equal(typeof inTimer, "bigint");
});

test("a child task's span has its parent's span as parent", () => {
  const conn = openTask({ name: "conn" });
  const req = openTask({ name: "req", parent: conn });
  assert.equal(rec.spans.get(req.span.id as bigint)?.parent, conn.span.id);
  req.finish();
  conn.finish();
});

test("bind(): callbacks of a bound async resource outside any task are the task's polls", async () => {
  const t = openTask({ name: "bound" });
  const res = new AsyncResource("TEST_PARSER");
  t.bind(res);
  const sid = t.span.id as bigint;
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      res.runInAsyncScope(() => {});
      resolve();
    }),
  );
  await delay(5);
  assert.ok(rec.of(sid, "enter").length >= 1, "the bound callback was a poll");
  t.finish();
  await delay(5);
  assert.equal(rec.of(sid, "close").length, 1);
});
