// @periscope/runtime's internals through the layer: a task span (runtime.spawn, made with no
// parent as tokio makes it) is see-through, so the task's own spans join the spawner's trace;
// resource and async-op spans and runtime events are not exported unless asked for.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { callsite, Level, logger, withSubscriber } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";
import { initOpenTelemetry } from "../src/index.ts";
import { Receiver } from "./receiver.ts";

const log = logger("test::runtime");
// The runtime's callsites, declared as @periscope/runtime declares them.
const SPAWN = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::task",
  name: "runtime.spawn",
  fields: ["kind", "task.name", "task.id"],
});
const RESOURCE = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::sync::mutex",
  name: "runtime.resource",
  fields: ["concrete_type", "kind"],
});
const WAKER = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::waker",
  name: "waker",
  fields: ["op", "task.id"],
});

let receiver: Receiver;
before(async () => {
  receiver = await new Receiver().start();
});
after(() => receiver.close());

async function run(runtimeSpans: boolean): Promise<void> {
  receiver.spans.length = 0;
  const otel = initOpenTelemetry({
    serviceName: "runtime-test",
    endpoint: receiver.url,
    handleSignals: false,
    layer: { runtimeSpans },
  });
  await withSubscriber(registry().with(otel.layer), async () => {
    const request = log.span(Level.INFO, "request");
    await request.inScope(async () => {
      const task = SPAWN.span({ kind: "task", "task.name": "worker", "task.id": 1 }, null);
      const mutex = RESOURCE.span({ concrete_type: "Mutex", kind: "Sync" }, null);
      await task.inScope(async () => {
        WAKER.event({ op: "waker.wake", "task.id": 1 }, undefined, task);
        const work = log.span(Level.INFO, "work");
        work.close();
      });
      mutex.close();
      task.close();
    });
    request.close();
  });
  await otel.forceFlush();
  await otel.shutdown();
}

test("a task's spans stay in the spawner's trace; runtime internals are not exported", async () => {
  await run(false);
  await receiver.waitFor(2);
  const names = receiver.spans.map((s) => s.name).sort();
  assert.deepEqual(names, ["request", "work"]);
  const request = receiver.byName("request");
  const work = receiver.byName("work");
  assert.equal(work.traceId, request.traceId);
  assert.equal(work.parentSpanId, request.spanId);
  assert.deepEqual(request.events, [], "no waker events");
});

test("runtimeSpans: true exports them as they are", async () => {
  await run(true);
  await receiver.waitFor(4);
  const names = receiver.spans.map((s) => s.name).sort();
  assert.deepEqual(names, ["request", "runtime.resource", "runtime.spawn", "work"]);
  // tokio's task spans are roots: the task's work is in a trace of its own.
  assert.notEqual(receiver.byName("work").traceId, receiver.byName("request").traceId);
});
