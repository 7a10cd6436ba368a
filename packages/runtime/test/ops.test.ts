// One conformance script for every primitive's async op: a wait that has to wait is, in order,
// op span (child of the resource) → enter, poll_op not ready, exit → enter, poll_op ready, exit →
// close; an op that completes at once is a single ready poll.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  broadcast,
  channel,
  Mutex,
  Notify,
  oneshot,
  RwLock,
  Semaphore,
  sleep,
  watch,
} from "@periscope/runtime";
import { type Rec, record } from "./recorder.ts";

const rec = record();
const tick = () => new Promise<void>((r) => setImmediate(r));

/** What happened to one async op span, as a compact script. */
function script(opId: bigint): string[] {
  const out: string[] = [];
  for (const r of rec.log) {
    if (r.id === opId && (r.kind === "enter" || r.kind === "exit" || r.kind === "close"))
      out.push(r.kind);
    if (r.kind === "event" && r.target === "runtime::resource::poll_op" && r.parent === opId)
      out.push(`poll_op ${String(r.fields.op_name)} ${r.fields.is_ready ? "ready" : "pending"}`);
  }
  return out;
}

function opsOf(concrete: string, source: string): Rec[] {
  const res = rec.resources(concrete).at(-1);
  assert.ok(res, `${concrete} resource`);
  const ops = rec.log.filter(
    (r) =>
      r.kind === "new" &&
      r.name === "runtime.resource.async_op" &&
      r.parent === res[0] &&
      r.fields.source === source,
  );
  assert.ok(ops.length > 0, `${source} ops on ${concrete}`);
  return ops;
}

type Case = {
  concrete: string;
  source: string;
  poll: string;
  /** Runs one wait that has to wait, lets it finish and awaits it. */
  run: () => Promise<void>;
};

const cases: Case[] = [
  {
    concrete: "Mutex",
    source: "Mutex::lock",
    poll: "poll",
    run: async () => {
      const m = new Mutex(0);
      const g = await m.lock();
      const w = m.lock();
      await tick();
      g.release();
      (await w).release();
    },
  },
  {
    concrete: "RwLock",
    source: "RwLock::write",
    poll: "poll",
    run: async () => {
      const l = new RwLock(0);
      const r = await l.read();
      const w = l.write();
      await tick();
      r.release();
      (await w).release();
    },
  },
  {
    concrete: "Semaphore",
    source: "Semaphore::acquire",
    poll: "poll_acquire",
    run: async () => {
      const s = new Semaphore(0);
      const w = s.acquire();
      await tick();
      s.addPermits(1);
      (await w).release();
    },
  },
  {
    concrete: "Notify",
    source: "Notify::notified",
    poll: "poll_notified",
    run: async () => {
      const n = new Notify();
      const w = n.notified();
      await tick();
      n.notifyOne();
      await w;
    },
  },
  {
    concrete: "mpsc::Sender|Receiver",
    source: "Receiver::recv",
    poll: "poll_recv",
    run: async () => {
      const [tx, rx] = channel<number>(1);
      const w = rx.recv();
      await tick();
      await tx.send(1);
      await w;
    },
  },
  {
    concrete: "Sender|Receiver",
    source: "Receiver::await",
    poll: "poll_recv",
    run: async () => {
      const [tx, rx] = oneshot<number>();
      const w = rx.recv();
      await tick();
      tx.send(1);
      await w;
    },
  },
  {
    concrete: "broadcast::Sender|Receiver",
    source: "Receiver::recv",
    poll: "poll_recv",
    run: async () => {
      const [tx, rx] = broadcast<number>(2);
      const w = rx.recv();
      await tick();
      tx.send(1);
      await w;
    },
  },
  {
    concrete: "watch::Sender|Receiver",
    source: "Receiver::changed",
    poll: "poll_changed",
    run: async () => {
      const [tx, rx] = watch(0);
      const w = rx.changed();
      await tick();
      tx.send(1);
      await w;
    },
  },
  {
    concrete: "Sleep",
    source: "Sleep::new_timeout",
    poll: "poll_elapsed",
    run: () => sleep(1),
  },
];

for (const c of cases) {
  test(`${c.concrete} ${c.source}: pending poll, ready poll, closed`, async () => {
    await c.run();
    const ops = opsOf(c.concrete, c.source);
    const waited = ops.at(-1) as Rec;
    assert.deepEqual(script(waited.id as bigint), [
      "enter",
      `poll_op ${c.poll} pending`,
      "exit",
      "enter",
      `poll_op ${c.poll} ready`,
      "exit",
      "close",
    ]);
  });
}

test("an op that completes at once is one ready poll", async () => {
  const m = new Mutex(0);
  (await m.lock()).release();
  const [op] = opsOf("Mutex", "Mutex::lock");
  assert.deepEqual(script((op as Rec).id as bigint), [
    "enter",
    "poll_op poll ready",
    "exit",
    "close",
  ]);
});
