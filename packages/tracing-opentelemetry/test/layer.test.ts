// The layer end to end: our spans through the SDK and the OTLP/HTTP protobuf exporter into a
// loopback receiver that decodes them with the official OTLP protos.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Span as OtelSpan, Tracer } from "@opentelemetry/api";
import { Level, logger, withSubscriber } from "@periscope/tracing";
import { type Filter, registry } from "@periscope/tracing-subscriber";
import { initOpenTelemetry, type OpenTelemetry, openTelemetryLayer } from "../src/index.ts";
import { Receiver } from "./receiver.ts";

const log = logger("test::layer");

function setup(receiver: Receiver, env: Record<string, string> = {}): OpenTelemetry {
  return initOpenTelemetry({
    serviceName: "layer-test",
    endpoint: receiver.url,
    env,
    handleSignals: false,
  });
}

describe("OpenTelemetryLayer", () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await new Receiver().start();
  });
  after(() => receiver.close());

  test("spans arrive with parents, attributes, later records, events, links and status", {
    timeout: 20_000,
  }, async () => {
    receiver.spans.length = 0;
    const otel = setup(receiver);
    const reg = registry().with(otel.layer);
    await withSubscriber(reg, async () => {
      const req = log.span(Level.INFO, "request", {
        "otel.kind": "server",
        peer: "127.0.0.1:5555",
        key: undefined,
        small: 5n,
        big: 2n ** 60n,
        obj: { a: 1, nested: [1, 2] },
        tags: ["x", "y"],
      });
      await req.inScope(async () => {
        await Promise.resolve();
        req.record("key", "foo");
        log.info("got request", { size: 3 });
        const child = log.span(Level.DEBUG, "child", { "otel.status_code": "ok" });
        child.inScope(() => log.error("bad thing", { error: new TypeError("boom") }));
        child.close();
        const failing = log.span(Level.INFO, "failing", { error: undefined });
        failing.record("error", new RangeError("nope"));
        failing.close();
        const renamed = log.span(Level.INFO, "renamed", { "otel.name": "GET /x" });
        renamed.inScope(() => log.error("went wrong"));
        renamed.close();
      });
      const later = log.span(Level.INFO, "later", {}, { parent: null });
      later.followsFrom(req);
      later.close();
      req.close();
    });
    await otel.forceFlush();
    await receiver.waitFor(5);
    assert.equal(receiver.spans.length, 5);

    const req = receiver.byName("request");
    assert.equal(req.kind, 2, "otel.kind=server gives SERVER");
    assert.equal(req.parentSpanId, "");
    assert.equal(req.resource["service.name"], "layer-test");
    assert.equal(req.scope, "layer-test");
    assert.deepEqual(
      {
        peer: req.attributes.peer,
        key: req.attributes.key,
        small: req.attributes.small,
        big: req.attributes.big,
        obj: req.attributes.obj,
        tags: req.attributes.tags,
        target: req.attributes.target,
        level: req.attributes.level,
        thread: [req.attributes["thread.id"], req.attributes["thread.name"]],
        namespace: req.attributes["code.namespace"],
      },
      {
        peer: "127.0.0.1:5555",
        key: "foo",
        small: 5,
        big: "1152921504606846976",
        obj: '{"a":1,"nested":[1,2]}',
        tags: ["x", "y"],
        target: undefined,
        level: undefined,
        thread: [0, "main"],
        namespace: "test::layer",
      },
    );
    assert.equal("otel.kind" in req.attributes, false, "conventional fields are not attributes");
    assert.deepEqual(req.events, [
      {
        name: "got request",
        attributes: {
          size: 3,
          target: "test::layer",
          level: "INFO",
          "code.namespace": "test::layer",
        },
      },
    ]);
    assert.equal(typeof req.attributes.busy_ns, "number");
    assert.equal(typeof req.attributes.idle_ns, "number");
    assert.equal(req.status.code, 0);
    assert.ok(req.endNs >= req.startNs);

    const child = receiver.byName("child");
    assert.equal(child.traceId, req.traceId);
    assert.equal(child.parentSpanId, req.spanId);
    assert.equal(child.events.length, 1);
    const ev = child.events[0];
    assert.equal(ev?.name, "bad thing");
    assert.equal(ev?.attributes["exception.type"], "TypeError");
    assert.equal(ev?.attributes["exception.message"], "boom");
    assert.match(String(ev?.attributes["exception.stacktrace"]), /TypeError: boom/);
    assert.equal(ev?.attributes.error, "boom");
    assert.deepEqual(ev?.attributes["error.chain"], []);
    assert.equal(ev?.attributes.level, "ERROR");
    assert.equal(child.attributes["exception.message"], "boom", "the span gets exception.* too");
    assert.equal(child.status.code, 1, "an explicit otel.status_code=ok wins over error events");

    const failing = receiver.byName("failing");
    assert.equal(failing.parentSpanId, req.spanId);
    assert.deepEqual(failing.status, { code: 2, message: "nope" });
    assert.equal(failing.attributes.error, "nope");
    assert.equal(failing.attributes["exception.type"], "RangeError");

    const renamed = receiver.byName("GET /x");
    assert.deepEqual(renamed.status, { code: 2, message: "went wrong" });
    assert.equal(renamed.events[0]?.name, "went wrong");

    const later = receiver.byName("later");
    assert.equal(later.parentSpanId, "", "parent: null makes a root");
    assert.notEqual(later.traceId, req.traceId);
    assert.deepEqual(later.links, [{ traceId: req.traceId, spanId: req.spanId }]);
    assert.equal(reg.liveSpans, 0);
    await otel.shutdown();
  });

  test("filtered-out spans create no OpenTelemetry span; their children hang on the nearest kept one", {
    timeout: 20_000,
  }, async () => {
    receiver.spans.length = 0;
    const otel = setup(receiver);
    const started: string[] = [];
    const spy: Tracer = {
      startSpan: (name, opts, ctx): OtelSpan => {
        started.push(name);
        return otel.tracer.startSpan(name, opts, ctx);
      },
      startActiveSpan: otel.tracer.startActiveSpan.bind(otel.tracer) as Tracer["startActiveSpan"],
    };
    const noNoisy: Filter = { enabled: (meta) => meta.name !== "noisy" };
    const reg = registry().with(openTelemetryLayer({ tracer: spy }), noNoisy);
    withSubscriber(reg, () => {
      const outer = log.span(Level.INFO, "outer");
      outer.inScope(() => {
        const noisy = log.span(Level.INFO, "noisy");
        noisy.inScope(() => {
          const inner = log.span(Level.INFO, "inner");
          inner.inScope(() => log.info("in inner"));
          inner.close();
          log.info("in noisy");
        });
        noisy.close();
      });
      outer.close();
    });
    assert.deepEqual(started, ["outer", "inner"]);
    await otel.forceFlush();
    await receiver.waitFor(2);
    assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ["inner", "outer"]);
    const outer = receiver.byName("outer");
    const inner = receiver.byName("inner");
    assert.equal(inner.parentSpanId, outer.spanId);
    assert.deepEqual(
      outer.events.map((e) => e.name),
      ["in noisy"],
      "an event in a filtered span goes to the nearest exported ancestor",
    );
    await otel.shutdown();
  });

  test("OTEL_TRACES_SAMPLER=always_off exports nothing, and OTEL_* resource env is honoured", {
    timeout: 20_000,
  }, async () => {
    receiver.spans.length = 0;
    const off = setup(receiver, { OTEL_TRACES_SAMPLER: "always_off" });
    withSubscriber(registry().with(off.layer), () => {
      const s = log.span(Level.INFO, "unsampled");
      s.inScope(() => log.info("x"));
      s.close();
    });
    await off.forceFlush();
    assert.equal(off.stats().ended, 0);
    await off.shutdown();

    const disabled = setup(receiver, { OTEL_SDK_DISABLED: "true" });
    withSubscriber(registry().with(disabled.layer), () => log.span(Level.INFO, "disabled").close());
    await disabled.forceFlush();
    assert.equal(disabled.stats().ended, 0);
    await disabled.shutdown();

    const on = setup(receiver, {
      OTEL_SERVICE_NAME: "from-env",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test,team=a%20b",
    });
    withSubscriber(registry().with(on.layer), () => log.span(Level.INFO, "sampled").close());
    await on.forceFlush();
    await receiver.waitFor(1);
    assert.deepEqual(
      receiver.spans.map((s) => s.name),
      ["sampled"],
    );
    const r = receiver.spans[0]?.resource ?? {};
    assert.equal(r["service.name"], "from-env");
    assert.equal(r["deployment.environment.name"], "test");
    assert.equal(r.team, "a b");
    assert.deepEqual(on.stats(), { ended: 1, exported: 1, dropped: 0, failed: 0, pending: 0 });
    await on.shutdown();
  });

  test("bad OTEL_* values fail at init with a stable code", () => {
    assert.throws(
      () => initOpenTelemetry({ env: { OTEL_TRACES_SAMPLER: "sometimes" }, handleSignals: false }),
      /PERISCOPE_OTEL_SAMPLER/,
    );
    assert.throws(
      () =>
        initOpenTelemetry({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: "smoke" }, handleSignals: false }),
      /PERISCOPE_OTEL_PROTOCOL/,
    );
  });
});
