// End to end over gRPC: an in-process client decodes the stream for a scripted workload, then
// task details, status codes, pause/resume, reconnect, and a client that stops reading.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  createInstrumentClient,
  decodeHdrHistogramV2,
  type InstrumentClient,
  type State,
  type TaskDetails,
  Temporality,
  Update,
} from "@periscope/console-api";
import { registry } from "@periscope/tracing-subscriber";
import { builder, type ConsoleSubscriber, EVENT_LOOP_RESOURCE_ID } from "../src/index.ts";
import {
  ASYNC_OP,
  busy,
  durMs,
  RESOURCE,
  runTask,
  STATE,
  sleep,
  taskSpan,
  until,
  View,
} from "./helpers.ts";

let c: ConsoleSubscriber;
let address: string;
const clients: InstrumentClient[] = [];

before(async () => {
  c = builder()
    .with({ bind: "127.0.0.1:0", publishIntervalMs: 50, eventLoopMetrics: true })
    .spawn();
  registry().with(c.layer, c.filter).init();
  address = `127.0.0.1:${await c.ready}`;
});
after(() => {
  for (const cl of clients) cl.close();
  c.close();
});

function client(): InstrumentClient {
  const cl = createInstrumentClient(address);
  clients.push(cl);
  return cl;
}

function watchUpdates(cl: InstrumentClient, view: View): { cancel(): void } {
  const s = cl.watchUpdates({});
  s.on("data", (u: Update) => view.apply(u));
  s.on("error", () => {});
  return s;
}

function firstError(stream: NodeJS.EventEmitter): Promise<{ code: number }> {
  return new Promise((resolve) => {
    stream.on("data", () => {});
    stream.on("error", (e: { code: number }) => resolve(e));
  });
}

test("a scripted workload shows up with the right polls, times, resources and parents", async () => {
  const view = new View();
  watchUpdates(client(), view);
  await until(() => view.updates > 0, 5000, "first update");

  const blocker = taskSpan("blocker");
  const blockerDone = runTask(blocker, [() => busy(100)], 0);
  const sleeper = taskSpan("sleeper");
  const mutex = RESOURCE.span({ concrete_type: "Mutex", kind: "Sync" }, null);
  const slices = [0, 1, 2, 3].map((i) => () => {
    if (i === 0) {
      const op = ASYNC_OP.span({ source: "Mutex::lock" }, mutex);
      STATE.event({ locked: true, "locked.op": "override" }, undefined, mutex);
      op.close();
    }
  });
  await Promise.all([blockerDone, runTask(sleeper, slices, 30)]);
  await until(
    () =>
      Boolean(view.taskNamed("blocker")?.stats?.droppedAt) &&
      Boolean(view.taskNamed("sleeper")?.stats?.droppedAt),
    5000,
    "both tasks completed",
  );
  const b = view.taskNamed("blocker")?.stats;
  assert.equal(b?.pollStats?.polls, 1n);
  assert.ok(durMs(b?.pollStats?.busyTime) >= 100, `busy ${durMs(b?.pollStats?.busyTime)}`);

  const s = view.taskNamed("sleeper")?.stats;
  assert.ok((s?.pollStats?.polls ?? 0n) >= 4n, "three awaits make at least four polls");
  assert.equal(s?.wakes, 3n);
  const busyMs = durMs(s?.pollStats?.busyTime);
  const lifetime = durMs(s?.droppedAt) - durMs(s?.createdAt);
  // Tolerances: the slices do almost nothing; the three 30 ms waits dominate the lifetime.
  assert.ok(busyMs < 30, `sleeper busy ${busyMs} ms`);
  assert.ok(lifetime - busyMs >= 85, `sleeper idle ${lifetime - busyMs} ms`);

  const m = view.resourceOfType("Mutex");
  assert.ok(m);
  const op = [...view.asyncOps.values()].find((o) => o.op.source === "Mutex::lock");
  assert.equal(op?.op.resourceId?.id, m.resource.id?.id);
  assert.equal(op?.stats?.taskId?.id, sleeper.id);
  assert.equal(
    m.stats?.attributes.find((a) => a.field?.strName === "locked")?.field?.boolVal,
    true,
  );
  const loop = view.resources.get(EVENT_LOOP_RESOURCE_ID);
  assert.equal(loop?.resource.concreteType, "node::EventLoop");
  assert.ok(loop?.stats?.attributes.some((a) => a.field?.strName === "utilization"));
  mutex.close();

  // Task details over gRPC: the 100 ms poll is in the histogram.
  const details = await new Promise<TaskDetails>((resolve, reject) => {
    const st = client().watchTaskDetails({ id: { id: blocker.id as bigint } });
    st.on("data", (d: TaskDetails) => {
      resolve(d);
      st.cancel();
    });
    st.on("error", (e: { code: number }) => {
      if (e.code !== status.CANCELLED) reject(e);
    });
  });
  const h = decodeHdrHistogramV2(details.histogram?.rawHistogram ?? Buffer.alloc(0));
  assert.equal(h.totalCount, 1);
  assert.ok(h.max >= 100_000_000, `max poll ${h.max} ns`);
});

test("WatchTaskDetails: INVALID_ARGUMENT for id 0 or none, NOT_FOUND for an unknown id", async () => {
  const cl = client();
  assert.equal(
    (await firstError(cl.watchTaskDetails({ id: { id: 0n } }))).code,
    status.INVALID_ARGUMENT,
  );
  assert.equal(
    (await firstError(cl.watchTaskDetails({ id: undefined }))).code,
    status.INVALID_ARGUMENT,
  );
  assert.equal(
    (await firstError(cl.watchTaskDetails({ id: { id: 987_654_321n } }))).code,
    status.NOT_FOUND,
  );
});

test("pause stops updates, WatchState reports it, resume brings the missed changes", async () => {
  const cl = client();
  const states: number[] = [];
  const st = cl.watchState({});
  st.on("data", (s: State) => states.push(s.temporality));
  st.on("error", () => {});
  const view = new View();
  watchUpdates(cl, view);
  await until(() => view.updates > 0 && states.length > 0, 5000, "first update and state");
  assert.equal(states[0], Temporality.LIVE);
  await new Promise<void>((res, rej) => cl.pause({}, (e) => (e ? rej(e) : res())));
  await until(() => states.at(-1) === Temporality.PAUSED, 5000, "PAUSED state");
  const before = view.updates;
  const t = taskSpan("while-paused");
  t.inScope(() => {});
  // One that completes while paused: frozen meanwhile, it must still arrive, completed.
  const done = taskSpan("done-while-paused");
  done.inScope(() => {});
  done.close();
  await sleep(250);
  assert.equal(view.updates, before, "no updates while paused");
  assert.equal(view.taskNamed("while-paused"), undefined);
  await new Promise<void>((res, rej) => cl.resume({}, (e) => (e ? rej(e) : res())));
  await until(() => view.taskNamed("while-paused") !== undefined, 5000, "task after resume");
  await until(
    () => view.taskNamed("done-while-paused")?.stats?.droppedAt !== undefined,
    5000,
    "completed task after resume",
  );
  assert.equal(states.at(-1), Temporality.LIVE);
  st.cancel();
  t.close();
});

test("a client that reconnects gets the full picture again", async () => {
  const t = taskSpan("before-reconnect");
  t.inScope(() => {});
  t.close();
  const first = new View();
  const cl1 = client();
  const s1 = watchUpdates(cl1, first);
  await until(
    () => first.taskNamed("before-reconnect") !== undefined,
    5000,
    "task on first client",
  );
  s1.cancel();
  cl1.close();
  const second = new View();
  watchUpdates(client(), second);
  await until(() => second.updates > 0, 5000, "first update on reconnect");
  assert.ok(second.taskNamed("before-reconnect")?.stats?.droppedAt, "retained task in snapshot");
  assert.ok(second.taskNamed("blocker"), "earlier tasks too");
  assert.ok(second.metas.size > 0, "metadata again");
});

test("a large snapshot streams in parts, and what changes meanwhile follows it", async () => {
  for (let i = 0; i < 30_000; i++) taskSpan(`bulk-${i}`).close();
  await sleep(150); // published, then stored compactly
  const view = new View();
  const nows: number[] = [];
  const st = client().watchUpdates({});
  st.on("data", (u: Update) => {
    nows.push(durMs(u.now));
    view.apply(u);
  });
  st.on("error", () => {});
  // Changes while the snapshot is still streaming, part by part.
  setImmediate(() => taskSpan("during-snapshot").inScope(() => {}));
  await until(
    () => view.tasks.size > 30_000 && view.taskNamed("during-snapshot") !== undefined,
    10_000,
    "snapshot and the task made meanwhile",
  );
  assert.ok(view.taskNamed("bulk-0") && view.taskNamed("bulk-29999"), "whole snapshot received");
  const firstNow = nows[0] as number;
  const snapshotParts = nows.filter((n) => n === firstNow).length;
  assert.ok(snapshotParts >= 3, `snapshot in ${snapshotParts} parts`);
  for (let i = 1; i < nows.length; i++) assert.ok((nows[i] as number) >= (nows[i - 1] as number));
  assert.equal(view.orphanStats, 0, "no stats arrive before their entity");
  st.cancel();
});

/**
 * A second console with a 256 KiB cap on what a client may leave unread, publishing every 20 ms,
 * fed through its own registry (installed only where a test scopes it), and a client of it.
 */
async function cappedConsole() {
  const capped = builder()
    .with({
      bind: "127.0.0.1:0",
      publishIntervalMs: 20,
      clientMaxPendingBytes: 256 * 1024,
      eventLoopMetrics: false,
    })
    .spawn();
  const reg = registry().with(capped.layer, capped.filter);
  const port = await capped.ready;
  return { console: capped, reg, cl: createInstrumentClient(`127.0.0.1:${port}`) };
}

test("a snapshot larger than the client's pending-bytes cap arrives whole, then the deltas", async () => {
  // The snapshot is made part by part as the client takes it, so it never counts as a backlog.
  const { console: small, reg, cl } = await cappedConsole();
  const { withSubscriber } = await import("@periscope/tracing");
  try {
    withSubscriber(reg, () => {
      for (let i = 0; i < 20_000; i++) taskSpan(`many-${i}`).close();
    });
    await sleep(100); // published: the new client gets them in its snapshot
    const view = new View();
    let bytes = 0;
    const st = cl.watchUpdates({});
    st.on("data", (u: Update) => {
      bytes += Update.encode(u).finish().length;
      view.apply(u);
    });
    st.on("error", () => {});
    // A change while the snapshot streams: it must follow the snapshot, not end the stream.
    setImmediate(() => withSubscriber(reg, () => taskSpan("meanwhile").close()));
    await until(
      () => view.tasks.size >= 20_001 || small.stats().droppedClients > 0,
      20_000,
      "the whole snapshot",
    );
    assert.equal(small.stats().droppedClients, 0, "not dropped as too slow");
    assert.ok(bytes > 4 * 256 * 1024, `the snapshot (${bytes} bytes) is larger than the cap`);
    assert.ok(view.taskNamed("many-0") && view.taskNamed("many-19999"));
    await until(() => view.taskNamed("meanwhile") !== undefined, 5000, "the change made meanwhile");
    st.cancel();
  } finally {
    cl.close();
    small.close();
  }
});

test("a client that stops reading is dropped instead of buffered", async () => {
  const { console: slow, reg, cl } = await cappedConsole();
  try {
    const stream = cl.watchUpdates({});
    let received = 0;
    stream.on("data", () => {
      received++;
      stream.pause(); // and never resume
    });
    stream.on("error", () => {});
    await until(() => slow.stats().watchers === 1, 5000, "watcher registered");
    const big = "x".repeat(1000);
    const { withSubscriber } = await import("@periscope/tracing");
    const heapBefore = process.memoryUsage().heapUsed;
    for (let round = 0; round < 100 && slow.stats().droppedClients === 0; round++) {
      withSubscriber(reg, () => {
        for (let i = 0; i < 200; i++) {
          const sp = taskSpan(`${big}${round}-${i}`);
          sp.inScope(() => {});
          sp.close();
        }
      });
      await sleep(25);
    }
    assert.equal(slow.stats().droppedClients, 1, "the stuck client was dropped");
    assert.equal(slow.stats().watchers, 0);
    assert.ok(received >= 1);
    // After the drop nothing more is queued for it, however much the program does.
    for (let round = 0; round < 5; round++) {
      withSubscriber(reg, () => {
        for (let i = 0; i < 200; i++) taskSpan(`${big}after-${i}`).close();
      });
      await sleep(25);
    }
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    assert.ok(grownMb < 64, `heap grew ${grownMb.toFixed(1)} MB`);
  } finally {
    cl.close();
    slow.close();
  }
});
