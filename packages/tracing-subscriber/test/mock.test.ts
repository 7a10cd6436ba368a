// The test kit itself: scripts pass when the code does what they say, and fail with a message
// that shows the first difference and everything seen.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Level, logger } from "@periscope/tracing";
import { expect } from "@periscope/tracing-subscriber";

const log = logger("mock");

test("a matching script passes, sync and async", async () => {
  expect()
    .newSpan("x")
    .enter("x")
    .event({ message: "hello", level: Level.INFO, target: "mock", fields: { n: 1 }, parent: "x" })
    .exit("x")
    .close("x")
    .run(() => {
      const x = log.infoSpan("x");
      x.inScope(() => log.info("hello", { n: 1, extra: true }));
      x.close();
    });
  await expect()
    .event("later")
    .run(async () => {
      await new Promise((r) => setTimeout(r, 1));
      log.info("later");
    });
});

test("a mismatch names the expectation, what came instead, and the log", () => {
  assert.throws(
    () =>
      expect()
        .newSpan("x")
        .close("x")
        .run(() => {
          log.infoSpan("y").close();
        }),
    (e: Error) => {
      assert.match(
        e.message,
        /expectation #1: expected new_span "x", got new_span "y".*different name/,
      );
      assert.match(e.message, /seen:\n {2}new_span "y"/);
      return true;
    },
  );
});

test("unmet and unexpected notifications fail", () => {
  assert.throws(
    () =>
      expect()
        .event("a")
        .event("b")
        .run(() => log.info("a")),
    /1 expectation\(s\) not met:\n {2}event "b"/,
  );
  assert.throws(
    () =>
      expect()
        .event("a")
        .run(() => {
          log.info("a");
          log.warn("surprise");
        }),
    /unexpected event "surprise"/,
  );
});

test("ignoring() skips kinds; field expectations are deep subsets", () => {
  expect()
    .newSpan("s", { fields: { obj: { a: [1, 2] } } })
    .close("s")
    .ignoring("enter", "exit", "event")
    .run(() => {
      const s = log.infoSpan("s", { obj: { a: [1, 2] }, other: 1 });
      s.inScope(() => log.info("ignored"));
      s.close();
    });
  assert.throws(() =>
    expect()
      .newSpan("s", { fields: { obj: { a: [1, 3] } } })
      .run(() => log.infoSpan("s", { obj: { a: [1, 2] } }).close()),
  );
});
