// Cross-cutting promises: lost wakers are reported, the runtime never keeps the process alive on
// its own, never throws into user code when a subscriber fails, and Node handles show up.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Mutex, Notify, spawn, watchNodeHandles } from "@periscope/runtime";
import type { Layer } from "@periscope/tracing-subscriber";
import { type Recorder, record } from "./recorder.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const rec: Recorder = record();

test("a task pending on a promise nobody can settle loses its waker (waker.drop before close)", async () => {
  const h = spawn(async () => {
    await new Promise(() => {});
  });
  const sid = rec.taskSpan(h.id);
  for (let i = 0; i < 20 && rec.wakes(sid, "waker.drop").length === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
    gc();
  }
  assert.equal(rec.wakes(sid, "waker.drop").length, 1);
  assert.equal(rec.wakes(sid, "waker.clone").length, 1);
  assert.equal(rec.of(sid, "close").length, 0, "a lost task never completes");
  assert.equal(h.isFinished, false);
});

test("a task waiting on a mutex nobody can reach any more loses its waker once its handle is gone", async () => {
  const id = (() => {
    const m = new Mutex(0);
    void m.lock(); // held forever, then the mutex becomes unreachable
    return spawn(async () => {
      await m.lock();
    }).id;
  })();
  const sid = rec.taskSpan(id);
  for (let i = 0; i < 30 && rec.wakes(sid, "waker.drop").length === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
    gc();
  }
  assert.equal(rec.wakes(sid, "waker.drop").length, 1);
  assert.equal(rec.of(sid, "close").length, 0);
});

test("a task waiting on a live resource keeps its waker", async () => {
  const n = new Notify();
  const h = spawn(async () => n.notified());
  const sid = rec.taskSpan(h.id);
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 2));
    gc();
  }
  assert.equal(rec.wakes(sid, "waker.drop").length, 0);
  n.notifyOne();
  await h;
  assert.equal(rec.wakes(sid, "waker.drop").length, 1);
});

test("pending waits and idle primitives do not keep the process alive", () => {
  const script = `
    import { spawn, Mutex, Notify, channel, oneshot, configureRuntime } from "@periscope/runtime";
    import { registry } from "@periscope/tracing-subscriber";
    registry().with({ onNewSpan() {}, onEvent() {} }).init();
    configureRuntime();
    const m = new Mutex(0); await m.lock();
    spawn(() => m.lock());
    spawn(() => new Notify().notified());
    const [, rx] = channel(1); spawn(() => rx.recv());
    const [, o] = oneshot(); spawn(() => o.recv());
    console.log("started");
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: new URL("..", import.meta.url),
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(r.signal, null, "the process had to be killed: something kept it alive");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /started/);
});

test("a throwing subscriber never reaches user code", async () => {
  const { registry } = await import("@periscope/tracing-subscriber");
  const bad: Layer = {
    onNewSpan() {
      throw new Error("layer bug");
    },
    onEnter() {
      throw new Error("layer bug");
    },
    onExit() {
      throw new Error("layer bug");
    },
    onEvent() {
      throw new Error("layer bug");
    },
    onClose() {
      throw new Error("layer bug");
    },
  };
  registry().with(bad).init();
  try {
    const m = new Mutex(1);
    const v = await spawn(async () => {
      const g = await m.lock();
      await new Promise((r) => setTimeout(r, 1));
      g.release();
      return g === undefined ? 0 : 42;
    });
    assert.equal(v, 42);
  } finally {
    rec.registry?.init();
  }
});

test("watchNodeHandles shows servers and timers as resources while they live", async () => {
  const stop = watchNodeHandles();
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const t = setTimeout(() => {}, 10_000);
  const srv = rec.resources("TCPSERVERWRAP");
  const tim = rec
    .resources("Timeout")
    .filter(([id]) => rec.stateUpdates(id).some((u) => u.duration === 10_000));
  assert.equal(srv.length, 1);
  assert.equal(srv[0]?.[1].fields.kind, "Net");
  assert.equal(tim.length, 1);
  assert.equal(tim[0]?.[1].fields.kind, "timer");
  assert.ok(rec.stateUpdates(tim[0]?.[0] as bigint).some((u) => u.ref === true));
  clearTimeout(t);
  await new Promise<void>((r) => server.close(() => r()));
  // The handle's destroy hook comes a little after close's callback, later on a loaded machine.
  for (let i = 0; i < 100 && rec.of(srv[0]?.[0] as bigint, "close").length === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(rec.of(srv[0]?.[0] as bigint, "close").length, 1, "closed with the server");
  assert.equal(srv[0]?.[1].fields["loc.file"], undefined, "locations are opt-in");
  stop();
  const stop2 = watchNodeHandles({ types: ["Timeout"], locations: true });
  const t2 = setTimeout(() => {}, 12_345);
  const mine = rec
    .resources("Timeout")
    .filter(([id]) => rec.stateUpdates(id).some((u) => u.duration === 12_345));
  clearTimeout(t2);
  stop2();
  assert.equal(mine.length, 1);
  assert.equal(mine[0]?.[1].fields["loc.file"], "packages/runtime/test/behaviour.test.ts");
  assert.equal(typeof mine[0]?.[1].fields["loc.line"], "number");
});

test("frozen promises inside a task are awaited normally", async () => {
  const v = await spawn(async () => {
    const p = Object.freeze(new Promise<number>((r) => setTimeout(() => r(7), 1)));
    const q = Object.freeze(Promise.resolve(1));
    return (await p) + (await q);
  });
  assert.equal(v, 8);
});

test("PERISCOPE_RUNTIME_POLL_SPANS=1 adds tokio's async_op.poll spans under each async op", () => {
  const script = `
    import { Mutex } from "@periscope/runtime";
    import { registry } from "@periscope/tracing-subscriber";
    const names = [];
    registry().with({ onNewSpan(a) { names.push(a.metadata.name); } }).init();
    const m = new Mutex(0);
    (await m.lock()).release();
    console.log(JSON.stringify(names));
  `;
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: new URL("..", import.meta.url),
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
  const on = JSON.parse(run({ PERISCOPE_RUNTIME_POLL_SPANS: "1" }).stdout) as string[];
  const off = JSON.parse(run({ PERISCOPE_RUNTIME_POLL_SPANS: "0" }).stdout) as string[];
  assert.equal(on.filter((n) => n === "runtime.resource.async_op.poll").length, 1);
  assert.equal(off.filter((n) => n === "runtime.resource.async_op.poll").length, 0);
  assert.equal(off.filter((n) => n === "runtime.resource.async_op").length, 1);
});
