// spawn() and JoinHandle: the runtime.spawn span with tokio's fields, polls as enter/exit pairs,
// wakes as waker events, cancellation and errors delivered through the handle.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import {
  JoinError,
  type JoinHandle,
  pollMode,
  RuntimeError,
  siteTable,
  spawn,
  spawnAt,
} from "@periscope/runtime";
import { record } from "./recorder.ts";

const rec = record();

test("a task gets a runtime.spawn span with tokio's fields, closed when it ends", async () => {
  const h = spawn(async () => 42, { name: "answer", fields: { user: "ann" } });
  assert.equal(await h, 42);
  assert.equal(h.isFinished, true);
  const sid = rec.taskSpan(h.id);
  const s = rec.spans.get(sid);
  assert.ok(s);
  assert.equal(s.target, "tokio::task");
  assert.equal(s.fields.kind, "task");
  assert.equal(s.fields["task.name"], "answer");
  assert.equal(s.fields.user, "ann");
  assert.equal(s.fields["loc.file"], "packages/runtime/test/spawn.test.ts");
  assert.equal(s.fields["loc.line"], 20);
  assert.equal(typeof s.fields["loc.col"], "number");
  assert.equal(s.parent, undefined);
  await delay(1);
  assert.equal(rec.of(sid, "close").length, 1);
  assert.ok(pollMode() === "promise-hooks" || pollMode() === "async-hooks");
});

test("a task awaiting a timer three times shows at least 4 polls, each woken", async () => {
  const h = spawn(async () => {
    for (let i = 0; i < 3; i++) await delay(2);
    return "done";
  });
  assert.equal(await h, "done");
  await delay(1);
  const sid = rec.taskSpan(h.id);
  const polls = rec.polls(sid);
  assert.ok(polls.length >= 4, `polls: ${polls.length}`);
  const wakes = rec.wakes(sid, "waker.wake_by_ref").length;
  assert.ok(wakes >= polls.length, `wakes ${wakes} < polls ${polls.length}`);
  assert.equal(rec.wakes(sid, "waker.clone").length, 1);
  assert.equal(rec.wakes(sid, "waker.drop").length, 1);
  const order = rec.of(sid).map((r) => r.kind);
  assert.equal(order[0], "new");
  assert.equal(order.at(-1), "close");
  const lastExit = order.lastIndexOf("exit");
  assert.ok(lastExit < order.length - 1);
});

test("a poll that blocks shows its duration", async () => {
  const h = spawn(async () => {
    await delay(1);
    const end = performance.now() + 60;
    while (performance.now() < end) {
      /* block the event loop */
    }
    await delay(1);
  });
  await h;
  await delay(1);
  const polls = rec.polls(rec.taskSpan(h.id));
  assert.ok(Math.max(...polls) >= 60, `longest poll ${Math.max(...polls)}`);
});

test("callbacks inside a task are its polls too", async () => {
  const h = spawn(
    () =>
      new Promise<void>((resolve) => {
        setTimeout(() => {
          const end = performance.now() + 30;
          while (performance.now() < end) {}
          resolve();
        }, 2);
      }),
  );
  await h;
  await delay(1);
  const polls = rec.polls(rec.taskSpan(h.id));
  assert.ok(polls.length >= 2);
  assert.ok(Math.max(...polls) >= 30);
});

test("work outside tasks is counted under an implicit root task", async () => {
  rec.clear();
  await delay(2);
  const end = performance.now() + 20;
  while (performance.now() < end) {}
  await delay(2);
  const rootNew = [...rec.spans].find(
    ([, s]) => s.name === "runtime.spawn" && s.fields.kind === "root",
  );
  assert.ok(rootNew, "root task span");
  assert.equal(rootNew[1].fields["task.name"], "root");
  assert.equal(rootNew[1].fields["loc.file"], "packages/runtime/test/spawn.test.ts");
  // The poll running this assertion is still open; the blocking one before it is complete.
  const polls = rec.polls(rootNew[0]);
  assert.ok(polls.length >= 1);
  assert.ok(Math.max(...polls) >= 20, `the 20 ms block is a root poll (${polls.join(", ")})`);
  assert.ok(rec.of(rootNew[0], "enter").length >= 2);
});

test("abort() cancels the task at its next runtime await; the handle rejects as cancelled", async () => {
  const h = spawn(async (signal) => {
    await delay(10_000, undefined, { signal });
  });
  await delay(1);
  h.abort();
  await assert.rejects(
    Promise.resolve(h),
    (e: unknown) =>
      e instanceof JoinError && e.isCancelled() && e.code === "PERISCOPE_TASK_CANCELLED",
  );
  assert.equal(h.isFinished, true);
});

test("a task aborted before it starts never runs", async () => {
  let ran = false;
  const h = spawn(() => {
    ran = true;
  });
  h.abort();
  await assert.rejects(
    Promise.resolve(h),
    (e: unknown) => e instanceof JoinError && e.isCancelled(),
  );
  assert.equal(ran, false);
});

test("a task that throws does not crash; its error arrives through the handle", async () => {
  const boom = new Error("boom");
  const h = spawn(async () => {
    await delay(1);
    throw boom;
  });
  await assert.rejects(
    Promise.resolve(h),
    (e: unknown) => e instanceof JoinError && !e.isCancelled() && e.cause === boom,
  );
  const sync = spawn(() => {
    throw boom;
  });
  await assert.rejects(
    Promise.resolve(sync),
    (e: unknown) => e instanceof JoinError && e.code === "PERISCOPE_TASK_FAILED",
  );
});

test("spans and events inside a task have the task span as parent", async () => {
  const { logger, Level } = await import("@periscope/tracing");
  const log = logger("app::t");
  const h = spawn(async () => {
    await delay(1);
    log.info("inside");
    return log.span(Level.INFO, "child").id;
  });
  const childId = await h;
  const sid = rec.taskSpan(h.id);
  assert.equal(rec.spans.get(childId as bigint)?.parent, sid);
  const ev = rec.log.find((r) => r.kind === "event" && r.target === "app::t");
  assert.equal(ev?.parent, sid);
});

test("inner async functions completing within a task are not self-wakes; yieldNow is", async () => {
  const { Mutex, yieldNow } = await import("@periscope/runtime");
  const m = new Mutex(0);
  const selfWakes = (sid: bigint) =>
    rec
      .wakes(sid, "waker.wake_by_ref")
      .filter((w) => (w.fields.__entered as bigint[]).includes(sid)).length;
  const a = spawn(async () => {
    for (let i = 0; i < 5; i++) (await m.lock()).release();
  });
  await a;
  assert.equal(selfWakes(rec.taskSpan(a.id)), 0);
  const b = spawn(async () => {
    for (let i = 0; i < 3; i++) await yieldNow();
  });
  await b;
  assert.equal(selfWakes(rec.taskSpan(b.id)), 3);
});

test("a wake from another task is not a self-wake and precedes the poll it causes", async () => {
  const { Notify } = await import("@periscope/runtime");
  const n = new Notify();
  const waiter = spawn(async () => n.notified());
  await delay(2);
  const sid = rec.taskSpan(waiter.id);
  const before = rec.log.length;
  spawn(() => n.notifyOne());
  await waiter;
  const after = rec.log.slice(before).filter((r) => r.id === sid || r.fields["task.id"] === sid);
  const firstWake = after.findIndex(
    (r) => r.kind === "event" && r.fields.op === "waker.wake_by_ref",
  );
  const firstEnter = after.findIndex((r) => r.kind === "enter");
  assert.ok(firstWake >= 0 && firstWake < firstEnter, "wake then poll");
  const wakeRec = after[firstWake];
  assert.ok(wakeRec);
  assert.equal((wakeRec.fields.__entered as bigint[]).includes(sid), false);
});

test("back-to-back jobs of one task are one poll; interleaved tasks alternate; idle is not busy", async () => {
  const inner = async (n: number): Promise<number> => n + 1;
  const chain = async (): Promise<number> => {
    let s = 0;
    for (let i = 0; i < 10; i++) s = await inner(s);
    return s;
  };
  const a = spawn(async () => {
    const v = await chain();
    await delay(100);
    return v + (await chain());
  });
  assert.equal(await a, 20);
  await delay(1);
  const sid = rec.taskSpan(a.id);
  const polls = rec.polls(sid);
  // 40 promise jobs run in this task; without coalescing each would be a poll.
  assert.ok(polls.length <= 8, `nested awaits coalesce into few polls, got ${polls.length}`);
  const busy = polls.reduce((x, y) => x + y, 0);
  assert.ok(busy < 100, `the 100 ms sleep is not busy time (busy ${busy.toFixed(1)} ms)`);

  // Two tasks yielding to each other through a channel alternate polls.
  const { channel } = await import("@periscope/runtime");
  const [txA, rxA] = channel<number>(1);
  const [txB, rxB] = channel<number>(1);
  const ping = spawn(async () => {
    for (let i = 0; i < 5; i++) {
      await txB.send(i);
      await rxA.recv();
    }
  });
  const pong = spawn(async () => {
    for (let i = 0; i < 5; i++) {
      await rxB.recv();
      await txA.send(i);
    }
  });
  await Promise.all([ping, pong]);
  await delay(1);
  assert.ok(rec.polls(rec.taskSpan(ping.id)).length >= 5);
  assert.ok(rec.polls(rec.taskSpan(pong.id)).length >= 5);
});

test("a failed task nobody awaits is no unhandled rejection; awaiting later still sees the error", async () => {
  let unhandled = 0;
  const count = (): void => {
    unhandled++;
  };
  process.on("unhandledRejection", count);
  try {
    const h = spawn(async () => {
      throw new Error("late");
    });
    await delay(5);
    assert.equal(unhandled, 0);
    assert.equal(h.isFinished, true);
    await assert.rejects(
      Promise.resolve(h),
      (e: unknown) => e instanceof JoinError && (e.cause as Error).message === "late",
    );
    const ok = spawn(() => 5);
    await delay(1);
    assert.equal(await ok, 5);
  } finally {
    process.off("unhandledRejection", count);
  }
});

test("a helper that spawns for its caller can pass itself as `caller`", async () => {
  function startWorker(): JoinHandle<number> {
    return spawn(async () => 1, { name: "worker", caller: startWorker });
  }
  const h = startWorker();
  await h;
  const s = rec.spans.get(rec.taskSpan(h.id));
  const here = new Error().stack?.split("\n")[1] ?? "";
  assert.equal(s?.fields["loc.file"], "packages/runtime/test/spawn.test.ts");
  assert.ok(
    here.includes(`:${Number(s?.fields["loc.line"]) + 3}:`),
    `${String(s?.fields["loc.line"])} vs ${here}`,
  );
});

test("spawnAt records the site it is given (no capture); a `caller` still captures", async () => {
  const [site] = siteTable(new URL("./spawn.test.ts", import.meta.url).href, [7, 3]);
  assert.deepEqual(site, { file: "packages/runtime/test/spawn.test.ts", line: 7, col: 3 });
  const h = spawnAt(site as NonNullable<typeof site>, async () => 2, { name: "at" });
  assert.equal(await h, 2);
  const s = rec.spans.get(rec.taskSpan(h.id));
  assert.equal(s?.fields["task.name"], "at");
  assert.deepEqual(
    [s?.fields["loc.file"], s?.fields["loc.line"], s?.fields["loc.col"]],
    ["packages/runtime/test/spawn.test.ts", 7, 3],
  );
  function helper(): JoinHandle<number> {
    return spawnAt(site as NonNullable<typeof site>, async () => 3, { caller: helper });
  }
  const line = Number(new Error().stack?.split("\n")[1]?.split(":").at(-2)) + 1;
  const g = helper();
  await g;
  assert.equal(rec.spans.get(rec.taskSpan(g.id))?.fields["loc.line"], line);
  assert.throws(
    () => spawnAt(site as NonNullable<typeof site>, 5 as never),
    (e: unknown) => e instanceof RuntimeError,
  );
});

test("siteTable needs a URL and pairs of numbers", () => {
  assert.throws(() => siteTable("file:///a.js", [1]), RuntimeError);
  assert.throws(() => siteTable(5 as never, []), RuntimeError);
  assert.deepEqual(siteTable("file:///elsewhere/a.js", []), []);
  assert.equal(Object.isFrozen(siteTable("file:///elsewhere/a.js", [1, 2])[0]), true);
});

test("callbacks of a resource tagged Symbol.for('periscope.internal') are no root polls", async () => {
  const block = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {}
  };
  const rootId = () =>
    [...rec.spans].find(([, s]) => s.name === "runtime.spawn" && s.fields.kind === "root")?.[0];
  await delay(2);
  const id = rootId();
  assert.ok(id !== undefined, "root task span");
  const longest = async (tag: boolean) => {
    rec.clear();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        block(25);
        resolve();
      }, 1);
      if (tag) (t as unknown as Record<symbol, boolean>)[Symbol.for("periscope.internal")] = true;
    });
    await delay(2);
    return Math.max(0, ...rec.polls(id));
  };
  assert.ok((await longest(false)) >= 25, "an ordinary callback outside tasks is a root poll");
  assert.ok((await longest(true)) < 25, "the console's own timer is not");
});
