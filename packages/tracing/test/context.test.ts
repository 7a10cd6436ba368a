// The current span follows the program across await, timers, EventEmitter callbacks and streams.
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { currentSpan, logger, type Span, withSubscriber } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";

const log = logger("ctx");

function scoped<T>(fn: () => Promise<T>): Promise<T> {
  return withSubscriber(registry().with({ onNewSpan() {}, onEvent() {} }), fn);
}

function nameOf(s: Span): string | undefined {
  return s.metadata?.name;
}

test("the current span survives await and promise chains", () =>
  scoped(async () => {
    const span = log.infoSpan("outer");
    await span.inScope(async () => {
      assert.equal(nameOf(currentSpan()), "outer");
      await sleep(1);
      assert.equal(nameOf(currentSpan()), "outer");
      await Promise.resolve().then(() => assert.equal(nameOf(currentSpan()), "outer"));
    });
    assert.equal(currentSpan().isDisabled, true, "exited after inScope");
    span.close();
  }));

test("timers and immediates scheduled in a span run in it", () =>
  scoped(async () => {
    const span = log.infoSpan("timers");
    const seen: (string | undefined)[] = [];
    await span.inScope(
      () =>
        new Promise<void>((resolve) => {
          setTimeout(() => {
            seen.push(nameOf(currentSpan()));
            setImmediate(() => {
              seen.push(nameOf(currentSpan()));
              queueMicrotask(() => {
                seen.push(nameOf(currentSpan()));
                resolve();
              });
            });
          }, 1);
        }),
    );
    assert.deepEqual(seen, ["timers", "timers", "timers"]);
    span.close();
  }));

test("EventEmitter listeners see the span of the code that emits", () =>
  scoped(async () => {
    const ee = new EventEmitter();
    const seen: (string | undefined)[] = [];
    ee.on("tick", () => seen.push(nameOf(currentSpan())));
    const a = log.infoSpan("a");
    const b = log.infoSpan("b");
    a.inScope(() => ee.emit("tick"));
    b.inScope(() => setTimeout(() => ee.emit("tick"), 1));
    await once(ee, "tick");
    assert.deepEqual(seen, ["a", "b"]);
    a.close();
    b.close();
  }));

test("stream callbacks run in the span the pipeline started in", () =>
  scoped(async () => {
    const span = log.infoSpan("stream");
    const seen = new Set<string | undefined>();
    await span.inScope(async () => {
      const upper = new Transform({
        transform(chunk, _enc, cb) {
          seen.add(nameOf(currentSpan()));
          cb(null, String(chunk).toUpperCase());
        },
      });
      let out = "";
      const sink = new Writable({
        write(chunk, _enc, cb) {
          seen.add(nameOf(currentSpan()));
          out += String(chunk);
          setImmediate(cb);
        },
      });
      await pipeline(Readable.from(["a", "b", "c"]), upper, sink);
      assert.equal(out, "ABC");
    });
    assert.deepEqual([...seen], ["stream"]);
    span.close();
  }));

test("nested spans restore the outer span, and siblings do not leak into each other", () =>
  scoped(async () => {
    const outer = log.infoSpan("outer");
    await outer.inScope(async () => {
      const results = await Promise.all(
        ["x", "y"].map((n) => {
          const s = log.infoSpan(n);
          return s.inScope(async () => {
            await sleep(n === "x" ? 5 : 1);
            const name = nameOf(currentSpan());
            s.close();
            return name;
          });
        }),
      );
      assert.deepEqual(results, ["x", "y"]);
      assert.equal(nameOf(currentSpan()), "outer");
    });
    outer.close();
  }));

test("a synchronous throw inside inScope still restores the previous span", () =>
  scoped(async () => {
    const span = log.infoSpan("boom");
    assert.throws(() =>
      span.inScope(() => {
        throw new Error("x");
      }),
    );
    assert.equal(currentSpan().isDisabled, true);
    span.close();
  }));

test("enter() guards make a span current until exit()", () =>
  scoped(async () => {
    const span = log.infoSpan("guarded");
    const guard = span.enter();
    assert.equal(nameOf(currentSpan()), "guarded");
    guard.exit();
    guard.exit();
    assert.equal(currentSpan().isDisabled, true);
    span.close();
  }));
