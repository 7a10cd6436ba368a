// Mutex, RwLock, Semaphore and Notify: tokio's semantics (FIFO, cancellation, closing) and the
// resource spans, async ops and state updates they emit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Mutex, Notify, RuntimeError, RwLock, Semaphore, sleep, spawn } from "@periscope/runtime";
import { record } from "./recorder.ts";

const rec = record();
const tick = () => new Promise<void>((r) => setImmediate(r));

test("Mutex: one holder at a time, waiters served in FIFO order", async () => {
  const m = new Mutex<number[]>([]);
  const first = await m.lock();
  const order: number[] = [];
  const waiters = [1, 2, 3, 4].map((i) =>
    spawn(async () => {
      const g = await m.lock();
      order.push(i);
      g.value.push(i);
      await sleep(1);
      g.release();
    }),
  );
  await tick();
  assert.equal(m.isLocked, true);
  assert.equal(m.tryLock(), undefined);
  first.release();
  await Promise.all(waiters);
  assert.deepEqual(order, [1, 2, 3, 4]);
  assert.deepEqual((await m.lock()).value, [1, 2, 3, 4]);
});

test("Mutex: a released guard refuses access; release twice is harmless", async () => {
  const m = new Mutex(1);
  const g = await m.lock();
  g.value = 2;
  g.release();
  g.release();
  assert.throws(
    () => g.value,
    (e: unknown) => e instanceof RuntimeError && e.code === "PERISCOPE_ALREADY_RELEASED",
  );
  assert.equal(await m.withLock((x) => x.value), 2);
  assert.equal(m.isLocked, false);
});

test("Mutex: an aborted wait leaves the queue and the next waiter gets the lock", async () => {
  const m = new Mutex(0);
  const held = await m.lock();
  const ac = new AbortController();
  const a = m.lock({ signal: ac.signal });
  const b = m.lock();
  ac.abort(new Error("gave up"));
  await assert.rejects(a, /gave up/);
  held.release();
  const gb = await b;
  assert.equal(m.isLocked, true);
  gb.release();
});

test("Mutex: aborting the task cancels its pending lock()", async () => {
  const m = new Mutex(0);
  const held = await m.lock();
  const h = spawn(async () => {
    await m.lock();
  });
  await tick();
  h.abort();
  await assert.rejects(
    Promise.resolve(h),
    (e: unknown) => (e as { code?: string }).code === "PERISCOPE_TASK_CANCELLED",
  );
  held.release();
  assert.ok(m.tryLock(), "the cancelled waiter did not keep the lock");
});

test("Mutex: resource span, internal semaphore, Mutex::lock async op and locked updates", async () => {
  rec.clear();
  const m = new Mutex("x");
  const g = await m.lock();
  const waiting = m.lock();
  await tick();
  g.release();
  (await waiting).release();
  const [[mid, mres]] = rec.resources("Mutex") as [[bigint, (typeof rec.log)[0]]];
  assert.equal(mres.target, "tokio::sync::mutex");
  assert.equal(mres.fields.kind, "Sync");
  assert.equal(mres.fields["loc.file"], "packages/runtime/test/sync.test.ts");
  assert.equal(mres.parent, undefined);
  const sem = rec.resources("Semaphore").find(([, r]) => r.parent === mid);
  assert.ok(sem, "internal semaphore parented to the mutex");
  assert.equal(sem[1].fields.is_internal, true);
  const locked = rec.stateUpdates(mid).map((f) => f.locked);
  assert.deepEqual(locked, [false, true, false, true, false]);
  const ops = rec.log.filter(
    (r) => r.kind === "new" && r.name === "runtime.resource.async_op" && r.parent === mid,
  );
  assert.equal(ops.length, 2);
  assert.ok(ops.every((o) => o.fields.source === "Mutex::lock"));
  for (const o of ops) assert.equal(rec.of(o.id as bigint, "close").length, 1);
  const pollOps = rec.log.filter(
    (r) => r.target === "runtime::resource::poll_op" && r.parent === ops[1]?.id,
  );
  assert.deepEqual(
    pollOps.map((p) => p.fields.is_ready),
    [false, true],
  );
  const permits = rec
    .stateUpdates(sem[0])
    .map((f) => `${String(f["permits.op"])}:${String(f.permits)}`);
  assert.deepEqual(permits, ["override:1", "sub:1", "add:1", "sub:1", "add:1"]);
});

test("Semaphore: a large request at the head is not overtaken by small ones", async () => {
  const s = new Semaphore(2);
  const p1 = await s.acquire();
  const order: string[] = [];
  const big = s.acquireMany(2).then((p) => {
    order.push("big");
    return p;
  });
  const small = s.acquire().then((p) => {
    order.push("small");
    return p;
  });
  await tick();
  assert.equal(s.availablePermits, 1);
  assert.equal(s.tryAcquire(), undefined, "no barging past queued waiters");
  p1.release();
  (await big).release();
  (await small).release();
  assert.deepEqual(order, ["big", "small"]);
  assert.equal(s.availablePermits, 2);
});

test("Semaphore: close fails waiters and later acquires; bad counts are refused", async () => {
  const s = new Semaphore(0);
  const w = s.acquire();
  s.close();
  await assert.rejects(
    w,
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_SEMAPHORE_CLOSED",
  );
  await assert.rejects(
    s.acquire(),
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_SEMAPHORE_CLOSED",
  );
  assert.throws(
    () => new Semaphore(-1),
    (e: unknown) => (e as RuntimeError).code === "PERISCOPE_INVALID_ARGUMENT",
  );
  const t = new Semaphore(1);
  assert.throws(() => t.addPermits(1.5), /PERISCOPE_INVALID_ARGUMENT/);
  const p = t.tryAcquire();
  assert.ok(p);
  p.forget();
  assert.equal(t.availablePermits, 0);
  t.addPermits(3);
  assert.equal(t.availablePermits, 3);
  {
    using q = await t.acquireMany(3);
    assert.equal(q.permits, 3);
    assert.equal(t.availablePermits, 0);
  }
  assert.equal(t.availablePermits, 3);
});

test("RwLock: readers share, a queued writer blocks later readers (FIFO)", async () => {
  const l = new RwLock({ n: 0 });
  const r1 = await l.read();
  const r2 = await l.read();
  const order: string[] = [];
  const w = l.write().then((g) => {
    order.push("write");
    g.value = { n: 1 };
    g.release();
  });
  const r3 = l.read().then((g) => {
    order.push(`read ${g.value.n}`);
    g.release();
  });
  await tick();
  assert.equal(l.tryRead(), undefined);
  r1.release();
  r2.release();
  await Promise.all([w, r3]);
  assert.deepEqual(order, ["write", "read 1"]);
  const ws = rec.resources("RwLock");
  assert.ok(ws.length >= 1);
  const id = ws.at(-1)?.[0] as bigint;
  const names = rec
    .stateUpdates(id)
    .map((f) => Object.keys(f).filter((k) => !k.includes(".") && k !== "__entered")[0]);
  assert.deepEqual(names.slice(0, 3), ["max_readers", "write_locked", "current_readers"]);
});

test("Notify: notifyOne stores one permit; notifyWaiters wakes all in order and stores none", async () => {
  const n = new Notify();
  n.notifyOne();
  n.notifyOne();
  await n.notified();
  let woke = false;
  const p = n.notified().then(() => {
    woke = true;
  });
  await tick();
  assert.equal(woke, false, "only one permit was stored");
  n.notifyOne();
  await p;
  const order: number[] = [];
  const all = [1, 2, 3].map((i) => n.notified().then(() => order.push(i)));
  await tick();
  assert.equal(n.waiters, 3);
  n.notifyWaiters();
  await Promise.all(all);
  assert.deepEqual(order, [1, 2, 3]);
  const later = n.notified({ signal: AbortSignal.timeout(5) });
  await assert.rejects(later, (e: unknown) => (e as Error).name === "TimeoutError");
  assert.equal(n.waiters, 0);
});

test("Semaphore: cancelling a blocked head lets the waiters behind it through", async () => {
  const s = new Semaphore(2);
  const held = await s.acquire();
  const ac = new AbortController();
  const big = s.acquireMany(2, { signal: ac.signal });
  let small = false;
  const p = s.acquire().then((q) => {
    small = true;
    return q;
  });
  await tick();
  assert.equal(small, false, "the small request waits behind the big one");
  ac.abort();
  await assert.rejects(big, (e: unknown) => (e as Error).name === "AbortError");
  (await p).release();
  assert.equal(small, true);
  held.release();
  assert.equal(s.availablePermits, 2);
});
