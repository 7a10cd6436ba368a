// Span handles: fields recorded later, follows-from, explicit and implicit parents, closing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { callsite, Level, logger } from "@periscope/tracing";
import { expect } from "@periscope/tracing-subscriber";

const log = logger("span_test");

test("a span is created, entered, records an event, exits and closes", () =>
  expect()
    .newSpan("x", { fields: { a: 1 }, level: Level.INFO, target: "span_test", parent: null })
    .enter("x")
    .event({ message: "hi", fields: { k: "v" }, parent: "x" })
    .exit("x")
    .close("x")
    .run(() => {
      const x = log.infoSpan("x", { a: 1 });
      x.inScope(() => log.info("hi", { k: "v" }));
      x.close();
      x.close();
    }));

test("record fills fields declared empty; followsFrom links spans", () =>
  expect()
    .newSpan("a")
    .newSpan("b", { parent: null })
    .record("b", { user: "ada" })
    .followsFrom("b", "a")
    .close("b")
    .close("a")
    .run(() => {
      const a = log.infoSpan("a");
      const b = log.infoSpan("b", { user: undefined }, { parent: null });
      b.record("user", "ada");
      b.followsFrom(a);
      b.close();
      a.close();
    }));

test("the parent defaults to the current span; null makes a root; events take explicit parents", () =>
  expect()
    .newSpan("outer", { parent: null })
    .newSpan("child", { parent: "outer" })
    .newSpan("root", { parent: null })
    .event({ message: "to-root", parent: "root" })
    .close("child")
    .close("root")
    .close("outer")
    .ignoring("enter", "exit")
    .run(() => {
      const outer = log.infoSpan("outer");
      outer.inScope(() => {
        const child = log.infoSpan("child");
        const root = log.infoSpan("root", {}, { parent: null });
        log.info("to-root", {}, { parent: root });
        child.close();
        root.close();
      });
      outer.close();
    }));

test("module-level callsites make spans and events with declared fields", () => {
  const SPAN = callsite({
    kind: "span",
    level: Level.TRACE,
    target: "rt",
    name: "task",
    fields: ["id"],
  });
  const EV = callsite({
    kind: "event",
    level: Level.TRACE,
    target: "rt",
    name: "poll",
    fields: ["n"],
  });
  expect()
    .newSpan("task", { fields: { id: 1n }, level: Level.TRACE })
    .event({ fields: { n: 2 }, parent: "task" })
    .close("task")
    .run(() => {
      assert.equal(EV.enabled(), true);
      const s = SPAN.span({ id: 1n });
      EV.event({ n: 2 }, undefined, s);
      s.close();
    });
});

test("span names made from data do not grow the callsite registry without bound", () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on("warning", onWarning);
  const l = logger("many_names");
  for (let i = 0; i < 1500; i++) l.spanCallsite(Level.INFO, `name-${i}`, { i: undefined });
  assert.equal(l.spanCallsite(Level.INFO, "name-5"), l.spanCallsite(Level.INFO, "name-5"), "kept");
  assert.notEqual(
    l.spanCallsite(Level.INFO, "name-1200"),
    l.spanCallsite(Level.INFO, "name-1200"),
    "not kept",
  );
  expect()
    .newSpan("name-1500", { fields: { i: 1500 } })
    .close("name-1500")
    .ignoring("enter", "exit")
    .run(() => {
      const s = l.infoSpan("name-1500", { i: 1500 });
      assert.equal(
        s.metadata?.name,
        "name-1500",
        "past the limit spans still work and keep their name",
      );
      s.close();
    });
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      process.off("warning", onWarning);
      assert.equal(warnings.filter((w) => w.includes("PERISCOPE_TOO_MANY_CALLSITES")).length, 1);
      resolve();
    }),
  );
});
