// mpsc, oneshot, broadcast and watch: delivery order, back-pressure, closing from either side,
// cancellation, and the resource spans and state updates they emit.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  broadcast,
  ClosedError,
  channel,
  LaggedError,
  oneshot,
  type RuntimeError,
  spawn,
  unboundedChannel,
  watch,
} from "@periscope/runtime";
import { record } from "./recorder.ts";

const rec = record();
const tick = () => new Promise<void>((r) => setImmediate(r));
const isClosed = (e: unknown) => e instanceof ClosedError && e.code === "PERISCOPE_CHANNEL_CLOSED";

test("mpsc: bounded send waits for room; senders are served in FIFO order", async () => {
  const [tx, rx] = channel<number>(1);
  await tx.send(0);
  assert.equal(tx.trySend(99), false, "full");
  const tx2 = tx.clone();
  const s1 = tx.send(1);
  const s2 = tx2.send(2);
  await tick();
  assert.equal(rx.length, 1);
  const got: number[] = [];
  for (let i = 0; i < 3; i++) got.push((await rx.recv()) as number);
  await Promise.all([s1, s2]);
  assert.deepEqual(got, [0, 1, 2]);
});

test("mpsc: the receiver drains, then sees undefined when every sender is closed", async () => {
  const [tx, rx] = channel<string>(4);
  const tx2 = tx.clone();
  await tx.send("a");
  tx.close();
  await tx2.send("b");
  tx2.close();
  const all: string[] = [];
  for await (const v of rx) all.push(v);
  assert.deepEqual(all, ["a", "b"]);
  assert.equal(await rx.recv(), undefined);
  await assert.rejects(tx.send("c"), isClosed);
});

test("mpsc: closing the receiver fails waiting and later sends, and resolves closed()", async () => {
  const [tx, rx] = channel<number>(1);
  await tx.send(1);
  const waiting = tx.send(2);
  const closed = tx.closed();
  rx.close();
  await assert.rejects(waiting, isClosed);
  await closed;
  assert.equal(tx.isClosed, true);
  assert.throws(() => tx.trySend(3), isClosed);
  assert.deepEqual(rx.tryRecv(), { ok: true, value: 1 }, "queued values stay receivable");
  assert.deepEqual(rx.tryRecv(), { ok: false, closed: true });
});

test("mpsc: unbounded never waits; undefined is refused with a clear error", async () => {
  const [tx, rx] = unboundedChannel<number>();
  for (let i = 0; i < 1000; i++) tx.send(i);
  assert.equal(rx.length, 1000);
  let sum = 0;
  for (let i = 0; i < 1000; i++) sum += (await rx.recv()) as number;
  assert.equal(sum, 499500);
  assert.throws(
    () => tx.send(undefined as unknown as number),
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_INVALID_ARGUMENT",
  );
});

test("mpsc: recv is cancelled by the task's abort", async () => {
  const [tx, rx] = channel<number>(1);
  const h = spawn(async () => rx.recv());
  await tick();
  h.abort();
  await assert.rejects(
    Promise.resolve(h),
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_TASK_CANCELLED",
  );
  await tx.send(5);
  assert.equal(await rx.recv(), 5, "the cancelled recv did not swallow the value");
});

test("mpsc: resource span with queued/tx_count updates and send/recv async ops", async () => {
  rec.clear();
  const [tx, rx] = channel<number>(2);
  const r = rx.recv();
  await tick();
  await tx.send(7);
  assert.equal(await r, 7);
  await tx.send(8);
  const [[id, res]] = rec.resources("mpsc::Sender|Receiver") as [[bigint, (typeof rec.log)[0]]];
  assert.equal(res.target, "tokio::sync::mpsc");
  const ups = rec.stateUpdates(id);
  assert.ok(ups.some((u) => u.capacity === 2));
  assert.ok(ups.some((u) => u.queued === 1 && u["queued.op"] === "add"));
  const sources = rec.log
    .filter((x) => x.kind === "new" && x.parent === id && x.name === "runtime.resource.async_op")
    .map((x) => x.fields.source);
  assert.deepEqual(sources, ["Receiver::recv", "Sender::send", "Sender::send"]);
});

test("oneshot: value delivered once; dropped sender fails the receiver", async () => {
  const [tx, rx] = oneshot<string>();
  setTimeout(() => tx.send("hi"), 1);
  assert.equal(await rx, "hi");
  assert.throws(() => tx.send("again"), isClosed);
  const [tx2, rx2] = oneshot<number>();
  const p = rx2.recv();
  tx2.close();
  await assert.rejects(p, isClosed);
  const [tx3, rx3] = oneshot<number>();
  const closed = tx3.closed();
  rx3.close();
  await closed;
  assert.throws(
    () => tx3.send(1),
    (e: unknown) => e instanceof ClosedError && e.value === 1,
  );
  const states = rec.resources("Sender|Receiver");
  assert.ok(states.length >= 3);
  const first = rec.stateUpdates(states[0]?.[0] as bigint).map((u) => Object.keys(u)[0]);
  assert.deepEqual(first.slice(0, 4), ["tx_dropped", "rx_dropped", "value_sent", "value_received"]);
});

test("broadcast: every receiver gets every value; a slow one lags with a count", async () => {
  const [tx, rx1] = broadcast<number>(2);
  const rx2 = tx.subscribe();
  assert.equal(tx.send(1), 2);
  tx.send(2);
  assert.equal(await rx1.recv(), 1);
  assert.equal(await rx1.recv(), 2);
  tx.send(3);
  tx.send(4);
  await assert.rejects(rx2.recv(), (e: unknown) => e instanceof LaggedError && e.skipped === 2);
  assert.equal(await rx2.recv(), 3);
  assert.equal(await rx1.recv(), 3);
  assert.equal(await rx1.recv(), 4);
  const pending = rx1.recv();
  await tick();
  tx.send(5);
  assert.equal(await pending, 5);
  tx.close();
  assert.equal(await rx2.recv(), 4);
  assert.equal(await rx2.recv(), 5);
  assert.equal(await rx2.recv(), undefined);
});

test("broadcast: send without receivers is a ClosedError", () => {
  const [tx, rx] = broadcast<number>(1);
  rx.close();
  assert.throws(() => tx.send(1), isClosed);
});

test("watch: receivers see the latest value; changed() waits; dropped sender closes", async () => {
  const [tx, rx] = watch({ v: 0 });
  const rx2 = tx.subscribe();
  assert.equal(rx.hasChanged(), false);
  const c = rx.changed();
  tx.send({ v: 1 });
  tx.send({ v: 2 });
  await c;
  assert.deepEqual(rx.borrowAndUpdate(), { v: 2 });
  assert.equal(rx2.hasChanged(), true);
  await rx2.changed();
  assert.deepEqual(rx2.borrow(), { v: 2 });
  tx.sendModify((v) => {
    v.v = 3;
  });
  assert.equal(rx.hasChanged(), true);
  assert.deepEqual(rx.borrowAndUpdate(), { v: 3 });
  tx.sendModify(() => false);
  assert.equal(rx.hasChanged(), false, "fn returning false notifies nobody");
  const waiting = rx.changed();
  tx.close();
  await assert.rejects(waiting, isClosed);
  const [id] = rec.resources("watch::Sender|Receiver")[0] as [bigint, unknown];
  const versions = rec.stateUpdates(id).filter((u) => "version" in u);
  assert.deepEqual(
    versions.map((u) => u["version.op"]),
    ["override", "add", "add", "add"],
  );
});

test("broadcast and watch waits are cancelled by a signal and leave no waiter behind", async () => {
  const [btx, brx] = broadcast<number>(4);
  const ac = new AbortController();
  const p = brx.recv({ signal: ac.signal });
  ac.abort(new Error("stop"));
  await assert.rejects(p, /stop/);
  btx.send(1);
  assert.equal(await brx.recv(), 1);
  const [wtx, wrx] = watch(0);
  const ac2 = new AbortController();
  const c = wrx.changed({ signal: ac2.signal });
  ac2.abort(new Error("stop2"));
  await assert.rejects(c, /stop2/);
  wtx.send(5);
  await wrx.changed();
  assert.equal(wrx.borrow(), 5);
});
