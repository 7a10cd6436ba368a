// Each poll mode on this Node: what it sees of a task that awaits a timer three times and then
// blocks, so the fallbacks documented in the README stay true.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  configureRuntime,
  pollMode,
  sleep,
  spawn,
  supportsTrackPromises,
} from "@periscope/runtime";
import { record } from "./recorder.ts";

const rec = record();

async function workload(): Promise<void> {
  for (let i = 0; i < 3; i++) await sleep(2);
  const end = performance.now() + 25;
  while (performance.now() < end) {
    /* block */
  }
}

for (const mode of ["promise-hooks", "async-hooks"] as const) {
  test(`${mode}: every slice is a poll, each preceded by a wake`, {
    skip: mode === "promise-hooks" && !supportsTrackPromises(),
  }, async () => {
    assert.equal(configureRuntime({ polls: mode }), mode);
    assert.equal(pollMode(), mode);
    const h = spawn(workload);
    await h;
    await sleep(1);
    const sid = rec.taskSpan(h.id);
    const polls = rec.polls(sid);
    assert.ok(polls.length >= 4, `${polls.length} polls`);
    assert.ok(Math.max(...polls) >= 25);
    assert.ok(rec.wakes(sid, "waker.wake_by_ref").length >= polls.length);
  });
}

test("sync: only the first run is a poll, no hooks", async () => {
  assert.equal(configureRuntime({ polls: "sync" }), "sync");
  const h = spawn(workload);
  await h;
  assert.equal(rec.polls(rec.taskSpan(h.id)).length, 1);
});

test("root: false leaves work outside tasks unrecorded", async () => {
  configureRuntime({ root: false });
  rec.clear();
  await sleep(2);
  assert.equal(
    rec.log.filter((r) => r.kind === "enter" && r.name === "runtime.spawn").length,
    0,
    "no polls without tasks when the root is off",
  );
  configureRuntime();
});
