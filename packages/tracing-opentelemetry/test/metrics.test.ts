// Metrics through the official SDK: Prometheus text at /metrics on loopback, nothing elsewhere.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetrics, initOpenTelemetry } from "../src/index.ts";

test("prometheus /metrics serves counters, histograms and up-down counters", async () => {
  const m = createMetrics({ serviceName: "mini-redis", prometheus: { port: 0 }, env: {} });
  const url = await m.prometheusUrl;
  assert.ok(url);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const meter = m.meterProvider.getMeter("mini-redis");
  const commands = meter.createCounter("mini_redis.commands", { description: "commands served" });
  const latency = meter.createHistogram("mini_redis.command.duration", {
    unit: "s",
    advice: { explicitBucketBoundaries: [0.001, 0.01, 0.1] },
  });
  const conns = meter.createUpDownCounter("mini_redis.connections");
  commands.add(2, { command: "get" });
  commands.add(1, { command: "set" });
  latency.record(0.002, { command: "get" });
  conns.add(3);
  conns.add(-1);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /mini_redis_commands(_total)?\{[^}]*command="get"[^}]*\} 2/);
  assert.match(text, /mini_redis_commands(_total)?\{[^}]*command="set"[^}]*\} 1/);
  assert.match(text, /mini_redis_command_duration_count\{[^}]*command="get"[^}]*\} 1/);
  assert.match(text, /mini_redis_command_duration_bucket\{[^}]*le="0.01"\} 1/);
  assert.match(text, /mini_redis_command_duration_bucket\{[^}]*le="0.001"\} 0/);
  assert.match(text, /mini_redis_connections\{[^}]*\} 2/);
  assert.match(text, /target_info\{[^}]*service_name="mini-redis"/);
  const other = await fetch(url.replace("/metrics", "/other"));
  assert.equal(other.status, 404);
  await other.text();
  await m.shutdown();
});

test("initOpenTelemetry: the meter provider carries the service resource", async () => {
  const otel = initOpenTelemetry({
    serviceName: "metrics-test",
    env: {},
    endpoint: "http://127.0.0.1:9/v1/traces",
    handleSignals: false,
    metrics: { prometheus: { port: 0 } },
  });
  const url = await otel.prometheusUrl;
  assert.ok(url);
  otel.meterProvider.getMeter("t").createCounter("pubsub.messages").add(4, { channel: "news" });
  const text = await (await fetch(url)).text();
  assert.match(text, /target_info\{[^}]*service_name="metrics-test"/);
  assert.match(text, /pubsub_messages(_total)?\{[^}]*channel="news"[^}]*\} 4/);
  await otel.shutdown();
});

test("a taken port gives a warning with a code, not a crash", async () => {
  const a = createMetrics({ prometheus: { port: 0 } });
  const url = await a.prometheusUrl;
  const port = Number(new URL(url ?? "").port);
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? "");
  process.on("warning", onWarning);
  const b = createMetrics({ prometheus: { port } });
  assert.equal(await b.prometheusUrl, undefined);
  await new Promise((r) => setImmediate(r));
  process.off("warning", onWarning);
  assert.deepEqual(warnings, ["PERISCOPE_OTEL_METRICS_LISTEN"]);
  await a.shutdown();
  await b.shutdown();
});
