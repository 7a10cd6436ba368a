// OTEL_PROPAGATORS with the official propagators, and the AWS X-Ray id generator: trace ids
// that start with the time, as X-Ray requires, and the X-Amzn-Trace-Id header.
import assert from "node:assert/strict";
import { test } from "node:test";
import { propagation } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { Level, logger, withSubscriber } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";
import { initOpenTelemetry, injectTraceContext, propagatorFromEnv } from "../src/index.ts";

const log = logger("test::propagators");

test("OTEL_PROPAGATORS picks the official propagators, in order; unknown names fail with a code", () => {
  const fields = (v: string | undefined) =>
    propagatorFromEnv(v === undefined ? {} : { OTEL_PROPAGATORS: v })?.fields();
  assert.deepEqual(fields(undefined), ["traceparent", "tracestate", "baggage"]);
  assert.deepEqual(fields("b3"), ["b3"]);
  assert.deepEqual(fields("b3multi"), [
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-flags",
    "x-b3-sampled",
    "x-b3-parentspanid",
  ]);
  assert.deepEqual(fields("xray, tracecontext"), ["x-amzn-trace-id", "traceparent", "tracestate"]);
  assert.equal(fields("none"), undefined);
  assert.throws(() => fields("jaeger"), /PERISCOPE_OTEL_PROPAGATOR.*Jaeger reads tracecontext/);
  assert.throws(() => fields("tracecontext,w3c"), /PERISCOPE_OTEL_PROPAGATOR.*"w3c"/);
  assert.throws(
    () => initOpenTelemetry({ env: { OTEL_PROPAGATORS: "nope" }, handleSignals: false }),
    /PERISCOPE_OTEL_PROPAGATOR/,
  );
});

test('idGenerator: "xray" makes X-Ray\'s time-prefixed trace ids; OTEL_PROPAGATORS=xray writes X-Amzn-Trace-Id', {
  timeout: 20_000,
}, async () => {
  const exporter = new InMemorySpanExporter();
  const otel = initOpenTelemetry({
    serviceName: "xray-test",
    exporter,
    idGenerator: "xray",
    env: { OTEL_PROPAGATORS: "xray" },
    handleSignals: false,
  });
  const before = Math.floor(Date.now() / 1000);
  let headers: Record<string, string> = {};
  await withSubscriber(registry().with(otel.layer), async () => {
    const span = log.span(Level.INFO, "request");
    span.inScope(() => {
      headers = injectTraceContext({});
    });
    span.close();
  });
  const after = Math.ceil(Date.now() / 1000);
  await otel.forceFlush();
  const [span] = exporter.getFinishedSpans();
  assert.ok(span !== undefined);
  const traceId = span.spanContext().traceId;
  assert.match(traceId, /^[0-9a-f]{32}$/);
  const seconds = Number.parseInt(traceId.slice(0, 8), 16);
  assert.ok(seconds >= before && seconds <= after, `trace id ${traceId} starts with the time`);
  assert.equal(
    headers["x-amzn-trace-id"],
    `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${span.spanContext().spanId};Sampled=1`,
  );
  assert.equal(headers.traceparent, undefined, "only the configured propagator writes");
  await otel.shutdown();
  assert.equal(propagation.fields().length, 0, "shutdown unregisters the propagator");
});
