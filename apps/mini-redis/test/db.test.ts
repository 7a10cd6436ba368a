// The key space on its own: expiry bookkeeping stays bounded and the purge removes what is due.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../src/clock.ts";
import { Db } from "../src/db.ts";

test("re-setting one key with new deadlines keeps the deadline heap bounded", () => {
  const clock = new ManualClock();
  const db = new Db(clock);
  for (let i = 0; i < 100_000; i++) db.set("k", Buffer.from("v"), clock.now() + 1000 + i);
  // One live key: stale deadline records are dropped once they dominate.
  const heapSize = (db as unknown as { deadlines: { size: number } }).deadlines.size;
  assert.ok(heapSize <= 2 * 1 + 1024 + 1, `heap holds ${heapSize} records`);
  clock.advance(200_000);
  assert.equal(db.purgeExpired(), 1);
  assert.equal(db.size, 0);
  db.close();
});

test("purge removes only keys past their deadline, in deadline order, up to a limit", () => {
  const clock = new ManualClock();
  const db = new Db(clock);
  for (let i = 0; i < 10; i++) db.set(`k${i}`, Buffer.from("v"), clock.now() + 10 * (10 - i));
  db.set("forever", Buffer.from("v"));
  clock.advance(55); // k5..k9 (deadlines 10..50) are past
  assert.equal(db.purgeExpired(2), 2);
  assert.equal(db.purgeExpired(), 3);
  assert.equal(db.size, 6);
  assert.equal(db.get("k4")?.toString(), "v");
  assert.equal(db.get("k9"), undefined);
  db.close();
});

test("a deleted or overwritten key is not purged by its old deadline", () => {
  const clock = new ManualClock();
  const db = new Db(clock);
  db.set("a", Buffer.from("1"), clock.now() + 10);
  db.set("a", Buffer.from("2")); // no deadline any more
  db.set("b", Buffer.from("1"), clock.now() + 10);
  db.delete("b");
  db.set("b", Buffer.from("2"), clock.now() + 100);
  clock.advance(20);
  assert.equal(db.purgeExpired(), 0);
  assert.equal(db.get("a")?.toString(), "2");
  assert.equal(db.get("b")?.toString(), "2");
  db.close();
});

test("the purge timer runs by itself, on an unref'd timer", async () => {
  const db = new Db({ now: () => Date.now() });
  db.set("soon", Buffer.from("v"), Date.now() + 20);
  assert.equal(db.size, 1);
  const timer = (db as unknown as { timer: NodeJS.Timeout }).timer;
  assert.equal(timer.hasRef(), false, "a pending expiry never keeps the process alive");
  // Wait for the real timer (unref'd: this test's own timeout keeps the loop alive).
  for (let i = 0; i < 100 && db.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(db.size, 0);
  db.close();
});
