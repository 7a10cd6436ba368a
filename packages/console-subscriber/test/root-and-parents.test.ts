// The root task (work outside tasks) and task parents, as the console shows them: the root has
// no scheduled time and no start-up warning; a task spawned inside another's poll names it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Update } from "@periscope/console-api";
import { registry } from "@periscope/tracing-subscriber";
import { builder, ManualClock } from "../src/index.ts";
import { SPAWN, taskSpan, View } from "./helpers.ts";

function setup() {
  const clock = new ManualClock();
  const c = builder()
    .with({ serve: false, timer: false, clock, eventLoopMetrics: false, longPollThresholdMs: 50 })
    .spawn();
  registry().with(c.layer, c.filter).init();
  const view = new View();
  c.onUpdate((parts) => {
    for (const p of parts) view.apply(Update.decode(p));
  });
  return { clock, c, view };
}

function rootSpan() {
  return SPAWN.span(
    {
      kind: "root",
      "task.name": "root",
      "task.id": 1,
      "loc.file": "main.js",
      "loc.line": 1,
      "loc.col": 1,
    },
    null,
  );
}

test("the root is never scheduled, and its start-up polls are no long-poll warnings", () => {
  const { clock, c, view } = setup();
  const root = rootSpan();
  root.inScope(() => clock.advance(80)); // module loading: one long first poll
  clock.advance(500); // idle between slices
  root.inScope(() => clock.advance(1));
  c.tick();
  const stats = view.taskNamed("root")?.stats;
  assert.equal(stats?.scheduledTime?.nanos ?? 0, 0, "gaps between root polls are idle");
  assert.equal(Number(stats?.scheduledTime?.seconds ?? 0n), 0);
  assert.equal(stats?.pollStats?.polls, 2n);
  assert.equal(c.stats().longPolls, 0, "start-up is not a warning");
  // After start-up, a long slice outside tasks blocks the loop like any other.
  clock.advance(3000); // the start-up window (STARTUP_MS in layer.ts)
  root.inScope(() => clock.advance(70));
  c.tick();
  assert.equal(c.stats().longPolls, 1);
  c.close();
});

test("a task spawned inside another task's poll carries it in parents; the root is no parent", () => {
  const { c, view } = setup();
  const root = rootSpan();
  const conn = root.inScope(() => taskSpan("connection"));
  const sub = conn.inScope(() => taskSpan("subscriber"));
  c.tick();
  assert.deepEqual(view.taskNamed("connection")?.task.parents, [], "spawned outside tasks");
  assert.deepEqual(
    view.taskNamed("subscriber")?.task.parents.map((p) => p.id),
    [conn.id],
    "its connection",
  );
  void sub;
  c.close();
});

test("a completed task keeps its parent: in the delta, and for a console that connects later", () => {
  const { clock, c, view } = setup();
  const root = rootSpan();
  const conn = root.inScope(() => taskSpan("connection"));
  // Requests complete before any publish, so they are sent from their retained rows.
  const requests = [1, 2, 3].map((n) => {
    const req = conn.inScope(() => taskSpan(`request-${n}`));
    req.inScope(() => clock.advance(1));
    req.close();
    return req;
  });
  c.tick();
  const late = new View();
  const off = c.onUpdate((parts) => {
    for (const p of parts) late.apply(Update.decode(p));
  });
  for (const [i, req] of requests.entries()) {
    for (const [who, v] of [
      ["live", view],
      ["late", late],
    ] as const) {
      const t = v.taskNamed(`request-${i + 1}`);
      assert.ok(t?.stats?.droppedAt !== undefined, `${who}: request-${i + 1} completed`);
      assert.deepEqual(
        t?.task.parents.map((p) => p.id),
        [conn.id],
        `${who}: parent of ${req.id}`,
      );
    }
  }
  off();
  c.close();
});
