// instrument() and the @instrumented decorator never change what a function returns or throws,
// and record arguments, return values and errors as asked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { currentSpan, instrument, instrumented, Level, withSubscriber } from "@periscope/tracing";
import { expect } from "@periscope/tracing-subscriber";

test("the wrapper returns the very same promise and value", async () => {
  const p = Promise.resolve(7);
  const f = instrument(() => p, { name: "same" });
  await expect()
    .newSpan("same")
    .close("same")
    .ignoring("enter", "exit")
    .run(async () => {
      const r = f();
      assert.equal(r, p, "same promise object");
      assert.equal(await r, 7);
    });
});

test("sync throws and async rejections pass through unchanged, with an error event when err: true", async () => {
  const err = new TypeError("nope");
  const sync = instrument(
    (x: number) => {
      if (x > 0) throw err;
      return x;
    },
    { name: "sync", err: true },
  );
  const rejected = Promise.reject(err);
  rejected.catch(() => {});
  const asyncFn = instrument(() => rejected, { name: "async", err: true });
  await expect()
    .newSpan("sync")
    .event({ level: Level.ERROR, fields: { error: err }, parent: "sync" })
    .close("sync")
    .newSpan("async")
    .event({ level: Level.ERROR, fields: { error: err }, parent: "async" })
    .close("async")
    .ignoring("enter", "exit")
    .run(async () => {
      assert.throws(
        () => sync(1),
        (e) => e === err,
      );
      const r = asyncFn();
      assert.equal(r, rejected);
      await assert.rejects(r, (e) => e === err);
      await new Promise((res) => setImmediate(res));
    });
});

test("argument names become fields, skip leaves some out, ret records the return value", async () => {
  const add = instrument((a: number, b: number, secret: string) => a + b + secret.length, {
    name: "add",
    args: ["a", "b", "secret"],
    skip: ["secret"],
    ret: true,
    fields: (a) => ({ double: a * 2 }),
  });
  await expect()
    .newSpan("add", { fields: { a: 1, b: 2, double: 2 } })
    .event({ message: "return", fields: { return: 5 }, parent: "add" })
    .close("add")
    .ignoring("enter", "exit")
    .run(() => {
      assert.equal(add(1, 2, "xy"), 5);
    });
});

test("a throwing fields function does not change the call", () => {
  const f = instrument((x: number) => x * 3, {
    fields: () => {
      throw new Error("bad fields");
    },
  });
  expect()
    .newSpan("anonymous")
    .close("anonymous")
    .ignoring("enter", "exit")
    .run(() => assert.equal(f(2), 6));
});

test("this, name and length are preserved; disabled spans cost a plain call", () => {
  const obj = {
    k: 5,
    get: instrument(function named(this: { k: number }, n: number) {
      return this.k + n;
    }),
  };
  assert.equal(obj.get(1), 6);
  assert.equal(obj.get.name, "named");
  assert.equal(obj.get.length, 1);
});

test("the decorator, applied as TypeScript's standard decorators apply it, instruments a method", async () => {
  class Db {
    data = new Map([["a", 1]]);
    async get(key: string): Promise<number | undefined> {
      assert.equal(currentSpan().metadata?.name, "get");
      return this.data.get(key);
    }
  }
  // What `@instrumented({ err: true }) async get(key) {}` compiles to (decorators proposal).
  const replaced = instrumented({ err: true, args: ["key"] })(Db.prototype.get, {
    kind: "method",
    name: "get",
  }) as typeof Db.prototype.get;
  Db.prototype.get = replaced;
  await expect()
    .newSpan("get", { fields: { key: "a" } })
    .close("get")
    .ignoring("enter", "exit")
    .run(async () => assert.equal(await new Db().get("a"), 1));
});

test("the decorator also works in experimentalDecorators form, and rejects non-methods", () => {
  const desc: PropertyDescriptor = { value: (x: number) => x + 1 };
  const out = instrumented()({}, "inc", desc) as PropertyDescriptor;
  withSubscriber(expect().build().registry, () => assert.equal(out.value(1), 2));
  assert.throws(() => instrumented()({}, { kind: "field", name: "x" }), TypeError);
});
