// The mini-redis wiring from the README, run for real: spans filtered for export, parents kept,
// instruments served at /metrics, and everything flushed by shutdown().
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { callsite, Level, withSubscriber } from "@periscope/tracing";
import { type Filter, type InitOptions, type Layer, registry } from "@periscope/tracing-subscriber";
import { ServerMetrics, setUpTelemetry } from "./fixtures/mini-redis-telemetry.ts";
import { Receiver } from "./receiver.ts";

const CONNECTION = callsite({
  kind: "span",
  level: Level.INFO,
  target: "mini_redis::connection",
  name: "connection",
  fields: ["peer", "id"],
});
const COMMAND = callsite({
  kind: "span",
  level: Level.DEBUG,
  target: "mini_redis::cmd",
  name: "cmd",
  fields: ["name", "key"],
});
const POLL = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "runtime::task",
  name: "poll",
  fields: [],
});

let receiver: Receiver;
before(async () => {
  receiver = await new Receiver().start();
});
after(() => receiver.close());

test("--otlp with --metrics-port: filtered spans, instruments at /metrics, flush on shutdown", {
  timeout: 30_000,
}, async () => {
  const t = setUpTelemetry({
    serviceName: "mini-redis",
    otlp: true,
    metricsPort: 0,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, ""),
      OTEL_BSP_SCHEDULE_DELAY: "600000",
    },
  });
  // The same shape setUpLogging hands to init().
  const layers: InitOptions["layers"] = t.layers;
  const reg = registry();
  for (const l of layers ?? []) {
    if (Array.isArray(l)) reg.with(l[0] as Layer, l[1] as Filter);
    else reg.with(l as Layer);
  }
  const metrics = new ServerMetrics(t.meter);
  withSubscriber(reg, () => {
    const conn = CONNECTION.span({ peer: "127.0.0.1:50000", id: 1 }, null);
    metrics.connections.add(1);
    conn.inScope(() => {
      const cmd = COMMAND.span({ name: "get", key: "foo" }, conn);
      cmd.inScope(() => POLL.span({}).close());
      cmd.close();
      metrics.command("get", 0.0003);
      metrics.pubsub.add(1, { direction: "published" });
    });
    conn.close();
  });
  const url = await t.metricsUrl;
  assert.ok(url);
  const text = await (await fetch(url)).text();
  assert.match(text, /mini_redis_commands_total\{command="get"[^}]*\} 1/);
  assert.match(text, /mini_redis_command_duration_bucket\{command="get"[^}]*le="0.0005"\} 1/);
  assert.match(text, /mini_redis_connections\{[^}]*\} 1/);
  assert.match(text, /mini_redis_pubsub_messages_total\{direction="published"[^}]*\} 1/);
  assert.match(text, /service_name="mini-redis"/);
  assert.equal(receiver.spans.length, 0, "the batch delay holds spans until shutdown");
  await t.shutdown();
  await receiver.waitFor(2);
  assert.deepEqual(receiver.spans.map((s) => s.name).sort(), ["cmd", "connection"]);
  const conn = receiver.byName("connection");
  const cmd = receiver.byName("cmd");
  assert.equal(cmd.parentSpanId, conn.spanId);
  assert.equal(conn.attributes.peer, "127.0.0.1:50000");
  assert.equal(cmd.attributes.key, "foo");
  assert.equal(conn.resource["service.name"], "mini-redis");
});

test("without --otlp or --metrics-port: no layer, a no-op meter", async () => {
  const t = setUpTelemetry({ serviceName: "mini-redis", otlp: false });
  assert.equal(t.layers.length, 0);
  assert.equal(await t.metricsUrl, undefined);
  new ServerMetrics(t.meter).command("get", 0.001);
  await t.shutdown();
});
