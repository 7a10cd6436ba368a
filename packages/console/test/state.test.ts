// The state layer: updates in, tasks/resources/ops out, retention, lints, details, replay.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ALL_LINTS, ConsoleState, Replay, resolveLints } from "@periscope/console";
import { type Attribute, Update } from "@periscope/console-api";
import { lintTask } from "../src/lints.ts";
import { details, miniRedisTasks, resourceUpdate, taskUpdate, ts } from "./fixtures.ts";

function state(retainForNs = 6e9) {
  const s = new ConsoleState({ retainForNs, lints: ALL_LINTS });
  s.apply(taskUpdate(10_000, miniRedisTasks()));
  return s;
}

test("tasks carry their names, ids, fields and locations", () => {
  const s = state();
  const t = s.tasks.get(2n);
  assert.ok(t);
  assert.equal(t.name, "connection");
  assert.equal(t.idText, "2");
  assert.equal(t.location, "src/server.ts:88:5");
  assert.deepEqual(t.fields, ["peer.addr=127.0.0.1:50001", "target=tokio::task"]);
  assert.deepEqual(t.parents, [1n]);
  assert.equal(t.polls, 420);
  assert.equal(t.busy, 210e6);
});

test("completed tasks stay for --retain-for by server time, then go", () => {
  const s = state(5e9);
  assert.ok(s.tasks.has(4n), "dropped at 7 s, now 10 s: kept");
  s.apply(taskUpdate(11_999, [], true));
  assert.ok(s.tasks.has(4n), "4.999 s after completion");
  s.apply(taskUpdate(12_001, [], true));
  assert.equal(s.tasks.has(4n), false, "5.001 s after completion");
  assert.ok(s.tasks.has(2n), "live tasks stay");
});

test("stats for unknown ids are ignored; new tasks without stats still appear", () => {
  const s = state();
  const u = taskUpdate(10_500, [{ id: 77, createdMs: 0, polls: 1, busyMs: 1 }], true);
  s.apply(u);
  assert.equal(s.tasks.has(77n), false);
  const fresh = taskUpdate(10_500, [{ id: 78, name: "late", createdMs: 0, polls: 1, busyMs: 1 }]);
  fresh.taskUpdate?.statsUpdate.clear();
  s.apply(fresh);
  assert.equal(s.tasks.get(78n)?.name, "late");
});

test("a task announced again gets its new name and fields and keeps its stats", () => {
  const s = new ConsoleState();
  s.apply(
    taskUpdate(10_000, [{ id: 90, name: "GET /users/42", createdMs: 0, polls: 3, busyMs: 2 }]),
  );
  s.apply(
    taskUpdate(10_100, [{ id: 90, name: "GET /users/:id", createdMs: 0, polls: 3, busyMs: 2 }]),
  );
  const t = s.tasks.get(90n);
  assert.equal(t?.name, "GET /users/:id");
  assert.equal(t?.polls, 3);
  assert.ok(t?.search.includes("/users/:id"));
  assert.equal([...s.tasks.values()].filter((x) => x.spanId === 90n).length, 1);
});

test("field names by index resolve through metadata", () => {
  const s = new ConsoleState();
  s.apply(
    Update.fromPartial({
      now: ts(1),
      newMetadata: {
        metadata: [
          {
            id: { id: 7n },
            metadata: { name: "spawn", target: "app", fieldNames: ["task.name", "peer"] },
          },
        ],
      },
      taskUpdate: {
        newTasks: [
          {
            id: { id: 1n },
            metadata: { id: 7n },
            fields: [
              { nameIdx: 0n, strVal: "by-index", metadataId: { id: 7n } },
              { nameIdx: 1n, debugVal: "1.2.3.4", metadataId: { id: 7n } },
              { nameIdx: 5n, debugVal: "out of range", metadataId: { id: 7n } },
            ],
          },
        ],
      },
    }),
  );
  const t = s.tasks.get(1n);
  assert.equal(t?.name, "by-index");
  assert.deepEqual(t?.fields, ["peer=1.2.3.4", "target=app"]);
  assert.equal(t?.idText, "1", "no task.id field: the console's own sequence");
});

test("lints: self-wakes fires over 50%, lost-waker only when the server tracks wakers", () => {
  const s = state();
  assert.deepEqual(s.tasks.get(5n)?.warnings, ["self-wakes"]);
  assert.equal(s.lintCounts.get("self-wakes"), 1);
  const lost = new ConsoleState({ lints: ALL_LINTS });
  const idleNoWaker = {
    id: 1,
    createdMs: 0,
    polls: 3,
    busyMs: 1,
    lastPollStartedMs: 5,
    lastPollEndedMs: 6,
  };
  lost.apply(taskUpdate(1000, [idleNoWaker]));
  assert.deepEqual(lost.tasks.get(1n)?.warnings, [], "no waker data at all: no claim");
  lost.apply(taskUpdate(1000, [{ id: 2, createdMs: 0, polls: 1, busyMs: 1, wakerClones: 1 }]));
  assert.deepEqual(lost.tasks.get(1n)?.warnings, ["lost-waker"]);
});

test("lints: never-yielded and long-poll from a running poll and from busy-time growth", () => {
  const s = new ConsoleState({ lints: ALL_LINTS });
  s.apply(taskUpdate(2000, [{ id: 1, createdMs: 0, polls: 1, busyMs: 0, lastPollStartedMs: 500 }]));
  assert.deepEqual(s.tasks.get(1n)?.warnings, ["never-yielded", "long-poll"]);
  // 10 polls that added 800 ms of busy time: at least one took 80 ms.
  s.apply(
    taskUpdate(2000, [
      { id: 2, createdMs: 0, polls: 10, busyMs: 10, lastPollStartedMs: 1, lastPollEndedMs: 2 },
    ]),
  );
  assert.deepEqual(s.tasks.get(2n)?.warnings, []);
  s.apply(
    taskUpdate(
      3000,
      [
        {
          id: 2,
          createdMs: 0,
          polls: 20,
          busyMs: 810,
          lastPollStartedMs: 2900,
          lastPollEndedMs: 2901,
        },
      ],
      true,
    ),
  );
  assert.deepEqual(s.tasks.get(2n)?.warnings, ["long-poll"]);
  assert.equal(s.tasks.get(2n)?.longestPollAtLeast, 80e6);
});

test("lints between updates: running tasks age into warnings, others keep theirs, gone tasks leave the counts", () => {
  const s = new ConsoleState({ retainForNs: 1e9, lints: ALL_LINTS });
  s.apply(
    taskUpdate(2000, [
      // running for 10 ms: nothing yet
      { id: 1, createdMs: 1990, polls: 1, busyMs: 0, lastPollStartedMs: 1990 },
      // woke itself 3 times in 4: self-wakes, and scheduled (a wake after its last poll)
      {
        id: 2,
        createdMs: 0,
        polls: 4,
        busyMs: 1,
        wakes: 4,
        selfWakes: 3,
        lastPollStartedMs: 5,
        lastPollEndedMs: 6,
        lastWakeMs: 7,
      },
      {
        id: 3,
        createdMs: 0,
        polls: 4,
        busyMs: 1,
        wakes: 4,
        selfWakes: 3,
        lastPollStartedMs: 5,
        lastPollEndedMs: 6,
        droppedMs: 1900,
      },
    ]),
  );
  assert.deepEqual(s.tasks.get(1n)?.warnings, []);
  assert.equal(s.lintCounts.get("self-wakes"), 2);
  // An update that names none of them: task 1 is still running, 2 s later.
  s.apply(taskUpdate(3995, [], true));
  assert.deepEqual(s.tasks.get(1n)?.warnings, ["never-yielded", "long-poll"]);
  assert.equal(s.lintCounts.get("never-yielded"), 1);
  assert.equal(s.lintExamples.get("long-poll")?.spanId, 1n);
  // Task 3 completed at 1.9 s and is gone past --retain-for (1 s): it no longer counts.
  assert.equal(s.tasks.has(3n), false);
  assert.equal(s.lintCounts.get("self-wakes"), 1);
  assert.equal(s.lintExamples.get("self-wakes")?.spanId, 2n);
  // The counts are what linting every task from scratch gives.
  const fresh = new Map<string, number>();
  for (const t of s.tasks.values())
    for (const w of lintTask(t, ALL_LINTS, s.lintContext())) fresh.set(w, (fresh.get(w) ?? 0) + 1);
  assert.deepEqual(new Map(s.lintCounts), fresh);
  // Task 1's poll ends: it is no longer running, and its warnings go with the update.
  s.apply(
    taskUpdate(
      4000,
      [
        {
          id: 1,
          createdMs: 1990,
          polls: 1,
          busyMs: 5,
          lastPollStartedMs: 1990,
          lastPollEndedMs: 1995,
        },
      ],
      true,
    ),
  );
  assert.deepEqual(s.tasks.get(1n)?.warnings, []);
  assert.equal(s.lintCounts.get("never-yielded"), undefined);
  assert.equal(s.lintCounts.get("long-poll"), undefined);
});

test("-W and -A choose lints as tokio-console does", () => {
  assert.deepEqual(resolveLints([], []), [...ALL_LINTS]);
  assert.deepEqual(resolveLints(["self-wakes,long-poll"], []), ["self-wakes", "long-poll"]);
  assert.deepEqual(resolveLints([], ["lost-waker", "large-future"]), [
    "self-wakes",
    "never-yielded",
    "long-poll",
    "auto-boxed-future",
    "lock-held",
    "channel-growing",
  ]);
  assert.deepEqual(resolveLints([], ["all"]), []);
  assert.deepEqual(resolveLints(["nope"], []), { unknown: "nope" });
  const quiet = new ConsoleState({ lints: resolveLints([], ["all"]) as [] });
  quiet.apply(taskUpdate(10_000, miniRedisTasks()));
  assert.equal(quiet.lintCounts.size, 0);
});

test("task details decode to percentiles; the longest poll feeds long-poll", () => {
  const s = state();
  s.applyDetails(details(2, [1_000, 2_000, 3_000, 4_000, 120e6], [500]));
  const h = s.details?.pollTimes;
  assert.ok(h);
  assert.equal(h.count, 5);
  const p50 = h.percentiles.find(([p]) => p === 50)?.[1] ?? 0;
  assert.ok(p50 >= 3_000 && p50 < 3_100, `p50 ${p50}`);
  assert.ok(h.max >= 120e6);
  assert.ok(s.tasks.get(2n)?.warnings.includes("long-poll"));
  // Short polls under a 1 s histogram ceiling are not a long poll.
  s.applyDetails(details(1, [1_000, 2_000, 3_000_000], [500]));
  const longest = s.details?.pollTimes?.max ?? 0;
  assert.ok(longest >= 3_000_000 && longest < 3_100_000, `longest poll ${longest}`);
  assert.ok(!s.tasks.get(1n)?.warnings.includes("long-poll"));
  s.applyDetails({
    ...details(3, [1], [1]),
    histogram: { rawHistogram: Buffer.from("junk"), maxValue: 0n, highOutliers: 0n },
  });
  assert.equal(s.details?.pollTimes, undefined, "undecodable bytes are left out, not thrown");
});

test("resources and async ops link to each other and to tasks", () => {
  const s = state();
  s.apply(resourceUpdate(10_000));
  assert.equal(s.resources.get(100n)?.concreteType, "Mutex<Db>");
  assert.equal(s.resources.get(102n)?.kind, "Timer");
  assert.equal(s.resources.get(102n)?.parentSpanId, 100n);
  assert.equal(s.resources.get(102n)?.visibility, "internal");
  assert.deepEqual(s.resources.get(102n)?.attributes, ["duration=1000ms"]);
  const op = s.asyncOps.get(200n);
  assert.equal(op?.resourceSpanId, 100n);
  assert.equal(op?.taskSpanId, 3n);
});

test("event-loop health is read from the server's event-loop resource", () => {
  const s = state();
  assert.equal(s.loop, undefined);
  s.apply(
    Update.fromPartial({
      now: ts(10_000),
      resourceUpdate: {
        newResources: [{ id: { id: 9n }, concreteType: "EventLoop", kind: { other: "EventLoop" } }],
        statsUpdate: new Map([
          [
            9n,
            {
              createdAt: ts(0),
              droppedAt: undefined,
              attributes: [
                {
                  field: { strName: "delay.p50", u64Val: 1_200_000n, metadataId: undefined },
                  unit: "ns",
                },
                { field: { strName: "delay.p99", u64Val: 3n, metadataId: undefined }, unit: "ms" },
                {
                  field: { strName: "utilization", u64Val: 42n, metadataId: undefined },
                  unit: "%",
                },
              ],
            },
          ],
        ]),
      },
    }),
  );
  assert.deepEqual(s.loop, {
    delayP50: 1.2e6,
    delayP99: 3e6,
    delayMax: undefined,
    utilization: 0.42,
  });
});

test("replay plays on the recording's clock and seeks back by rebuilding", () => {
  const updates = [0, 1000, 2000, 3000].map((ms) =>
    taskUpdate(ms, [{ id: 1, createdMs: 0, polls: ms / 1000, busyMs: 1 }], ms > 0),
  );
  const r = new Replay(updates);
  assert.equal(r.duration, 3000);
  assert.equal(r.advance(0).length, 1);
  assert.equal(r.untilNext(), 1000);
  assert.equal(r.advance(1500).length, 1);
  assert.equal(r.advance(10_000).length, 2);
  assert.ok(r.ended);
  const back = r.seek(-2000);
  assert.equal(back.reset, true);
  assert.equal(back.updates.length, 2, "updates up to 1 s, replayed from the start");
  const fwd = r.seek(1000);
  assert.deepEqual([fwd.reset, fwd.updates.length], [false, 1]);
});

test("the server's long-poll warnings name the task and settle its lint", () => {
  const s = state();
  const attr = (name: string, v: bigint | string, unit?: string) => ({
    field:
      typeof v === "string"
        ? { strName: name, strVal: v, metadataId: undefined }
        : { strName: name, u64Val: v, metadataId: undefined },
    unit,
  });
  s.apply(
    Update.fromPartial({
      now: ts(10_000),
      resourceUpdate: {
        newResources: [
          {
            id: { id: 2n ** 64n - 1n },
            concreteType: "periscope::Warnings",
            kind: { other: "warnings" },
          },
        ],
        statsUpdate: new Map([
          [
            2n ** 64n - 1n,
            {
              createdAt: ts(0),
              droppedAt: undefined,
              attributes: [
                attr("long_polls", 3n, "polls"),
                attr("long_poll.threshold", 50n, "ms"),
                attr("worst_long_poll.task_id", 2n),
                attr("worst_long_poll.task", "2 (connection)"),
                attr("worst_long_poll.duration", 230_000n, "us"),
                attr("worst_long_poll.location", "src/server.ts:88:5"),
              ],
            },
          ],
        ]),
      },
    }),
  );
  assert.deepEqual(s.serverWarnings, {
    longPolls: 3,
    thresholdNs: 50e6,
    last: undefined,
    worst: {
      taskSpanId: 2n,
      task: "2 (connection)",
      durationNs: 230e6,
      location: "src/server.ts:88:5",
    },
    retained: undefined,
  });
  assert.ok(s.tasks.get(2n)?.warnings.includes("long-poll"));
});

test("the server's retained bytes, budget and drops for the budget are read with their units", () => {
  const warnings = (attributes: Attribute[]) => {
    const s = state();
    s.apply(
      Update.fromPartial({
        now: ts(10_000),
        resourceUpdate: {
          newResources: [
            { id: { id: 9n }, concreteType: "periscope::Warnings", kind: { other: "warnings" } },
          ],
          statsUpdate: new Map([[9n, { createdAt: ts(0), droppedAt: undefined, attributes }]]),
        },
      }),
    );
    return s.serverWarnings?.retained;
  };
  const u64 = (name: string, v: bigint, unit: string): Attribute => ({
    field: { strName: name, u64Val: v, metadataId: undefined },
    unit,
  });
  assert.deepEqual(
    warnings([
      u64("retained.bytes", 2048n, "KiB"),
      u64("retained.budget", 32n, "MiB"),
      u64("retained.dropped_for_budget", 7n, "tasks"),
    ]),
    { bytes: 2 * 2 ** 20, budgetBytes: 32 * 2 ** 20, droppedForBudget: 7 },
  );
  // A budget of 0 is none; a server that sends no retained bytes (older, or Rust) shows nothing.
  assert.deepEqual(
    warnings([u64("retained.bytes", 5n, "KiB"), u64("retained.budget", 0n, "KiB")]),
    {
      bytes: 5 * 1024,
      budgetBytes: undefined,
      droppedForBudget: 0,
    },
  );
  assert.equal(warnings([u64("long_polls", 1n, "polls")]), undefined);
  // A string where a count belongs is ignored, not shown as NaN.
  assert.equal(
    warnings([
      {
        field: { strName: "retained.bytes", strVal: "lots", metadataId: undefined },
        unit: "KiB",
      },
    ]),
    undefined,
  );
});
