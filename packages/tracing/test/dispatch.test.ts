// Dispatch: no-op by default, one global subscriber shared by every copy of the package through
// a Symbol.for key, scoped subscribers for tests, and cached callsite interest.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tracing from "@periscope/tracing";
import { Interest, Level, LevelFilter, NoSubscriber, setGlobalDefault } from "@periscope/tracing";
import { expect, registry } from "@periscope/tracing-subscriber";

test("by default nothing is enabled and spans are disabled no-ops", () => {
  assert.ok(tracing.globalDefault() instanceof NoSubscriber);
  const s = tracing.span("nothing");
  assert.equal(s.isDisabled, true);
  s.record("x", 1).close();
  assert.equal(
    s.inScope(() => 42),
    42,
  );
});

test("two copies of the package agree on the global subscriber and current span", async () => {
  // A true second copy (as when two versions are installed): the sources in another directory.
  const dir = mkdtempSync(join(tmpdir(), "periscope-tracing-copy-"));
  cpSync(fileURLToPath(new URL("../src", import.meta.url)), join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "package.json"), '{"type":"module"}');
  const copy = (await import(pathToFileURL(join(dir, "src", "index.ts")).href)) as typeof tracing;
  rmSync(dir, { recursive: true, force: true });
  assert.notEqual(copy.logger, tracing.logger, "really a second module instance");
  const { registry: reg, layer } = expect()
    .newSpan("from-copy")
    .event({ message: "inside", parent: "from-copy" })
    .close("from-copy")
    .ignoring("enter", "exit")
    .build();
  const prev = setGlobalDefault(reg);
  try {
    assert.equal(copy.globalDefault(), reg);
    const s = copy.logger("two").infoSpan("from-copy");
    s.inScope(() => {
      assert.equal(tracing.currentSpan().id, s.id, "the first copy sees the second's span");
      tracing.logger("one").info("inside");
    });
    s.close();
    layer.assertFinished();
  } finally {
    setGlobalDefault(prev);
  }
});

test("callsite interest is cached and rebuilt when the subscriber changes", () => {
  const cs = tracing.callsite({ kind: "event", level: Level.DEBUG, target: "cache", name: "ev" });
  assert.equal(cs.interest, Interest.NEVER);
  let asked = 0;
  const reg = registry().with({
    register: (m) => {
      asked++;
      return m.level >= Level.INFO ? Interest.ALWAYS : Interest.NEVER;
    },
    onEvent() {},
  });
  const prev = setGlobalDefault(reg);
  try {
    assert.equal(cs.interest, Interest.NEVER);
    assert.equal(cs.enabled(), false);
    const info = tracing.callsite({
      kind: "event",
      level: Level.INFO,
      target: "cache",
      name: "ev2",
    });
    assert.equal(info.interest, Interest.ALWAYS);
    const before = asked;
    for (let i = 0; i < 10; i++) info.enabled();
    assert.equal(asked, before, "register is not asked again on the hot path");
  } finally {
    setGlobalDefault(prev);
  }
  assert.equal(cs.interest, Interest.NEVER);
});

test("withSubscriber scopes a subscriber to the async work of fn only", async () => {
  const seen: string[] = [];
  const reg = registry().with({ onEvent: (e) => seen.push(e.message ?? "") });
  const other = tracing.logger("scoped");
  const p = tracing.withSubscriber(reg, async () => {
    await new Promise((r) => setTimeout(r, 1));
    other.info("inside");
  });
  other.info("outside");
  await p;
  assert.deepEqual(seen, ["inside"]);
});

test("a subscriber that throws never reaches the caller", () => {
  const bad: tracing.Subscriber = {
    registerCallsite: () => Interest.ALWAYS,
    maxLevelHint: () => LevelFilter.TRACE,
    enabled: () => true,
    newSpan: () => {
      throw new Error("newSpan");
    },
    record: () => {
      throw new Error("record");
    },
    recordFollowsFrom: () => {},
    event: () => {
      throw new Error("event");
    },
    enter: () => {
      throw new Error("enter");
    },
    exit: () => {
      throw new Error("exit");
    },
    cloneSpan: (id) => id,
    tryClose: () => {
      throw new Error("close");
    },
  };
  tracing.withSubscriber(bad, () => {
    tracing.info("fine", { a: 1 });
    const s = tracing.span("s");
    assert.equal(s.isDisabled, true);
    assert.equal(
      s.inScope(() => 3),
      3,
    );
  });
});

test("levels order TRACE < ERROR and parse tracing's forms", () => {
  assert.ok(Level.TRACE < Level.DEBUG && Level.WARN < Level.ERROR);
  assert.equal(tracing.parseLevelFilter("WARN"), LevelFilter.WARN);
  assert.equal(tracing.parseLevelFilter("off"), LevelFilter.OFF);
  assert.equal(tracing.parseLevelFilter("5"), LevelFilter.TRACE);
  assert.equal(tracing.parseLevelFilter("loud"), undefined);
  assert.equal(tracing.levelName(Level.INFO), "INFO");
});

test("an event's timestamp is read during its dispatch and then stays put", () => {
  let first = Number.NaN;
  let second = Number.NaN;
  let before = Number.NaN;
  let after = Number.NaN;
  const sub = registry().with({
    onEvent(e: tracing.EventRecord): void {
      before = Date.now();
      first = e.timestamp;
      after = Date.now();
      second = e.timestamp;
    },
  });
  tracing.withSubscriber(sub, () => tracing.logger("t::ts").info("tick"));
  // Date.now() is whole milliseconds; the event's clock is finer.
  assert.ok(first >= before - 1 && first <= after + 1, `${first} within [${before}, ${after}]`);
  assert.equal(second, first, "read once");
});
