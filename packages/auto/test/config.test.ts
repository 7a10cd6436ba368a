// The pure parts: the environment table, path collapsing and the rounded durations.
import assert from "node:assert/strict";
import { test } from "node:test";
import { configFromEnv } from "../src/env.ts";
import { roughDuration } from "../src/requests.ts";
import { collapsePath } from "../src/routes.ts";

function cfg(env: Record<string, string>) {
  const warnings: string[] = [];
  return { c: configFromEnv(env, (m) => warnings.push(m)), warnings };
}

test("defaults: console on 127.0.0.1:6669, no logs, no OTLP, handles on", () => {
  const { c, warnings } = cfg({});
  assert.deepEqual(c, {
    console: true,
    consoleBind: "127.0.0.1:6669",
    log: undefined,
    otlp: false,
    otlpRuntime: false,
    handles: true,
    spawnSites: true,
  });
  assert.deepEqual(warnings, []);
});

test("OTLP follows the standard variables", () => {
  assert.equal(cfg({ OTEL_TRACES_EXPORTER: "otlp" }).c.otlp, true);
  assert.equal(cfg({ OTEL_TRACES_EXPORTER: "console,otlp" }).c.otlp, true);
  assert.equal(cfg({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).c.otlp, true);
  assert.equal(cfg({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" }).c.otlp, true);
  assert.equal(
    cfg({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).c.otlp,
    false,
  );
  assert.equal(cfg({ OTEL_SDK_DISABLED: "true", OTEL_TRACES_EXPORTER: "otlp" }).c.otlp, false);
});

test("logs only when PERISCOPE_LOG is set; the console can be turned off", () => {
  assert.equal(cfg({ PERISCOPE_LOG: "info" }).c.log, "info");
  assert.equal(cfg({ PERISCOPE_LOG: "  " }).c.log, undefined);
  assert.equal(cfg({ PERISCOPE_CONSOLE: "0" }).c.console, false);
  assert.equal(cfg({ PERISCOPE_CONSOLE: "off" }).c.console, false);
  assert.equal(cfg({ PERISCOPE_CONSOLE_BIND: "127.0.0.1:7000" }).c.consoleBind, "127.0.0.1:7000");
});

test("a bad flag value warns and keeps the default", () => {
  const { c, warnings } = cfg({ PERISCOPE_CONSOLE: "maybe", PERISCOPE_AUTO_HANDLES: "2" });
  assert.equal(c.console, true);
  assert.equal(c.handles, true);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0] as string, /PERISCOPE_CONSOLE="maybe" is not on\/off/);
});

test("paths: ids collapse, words stay, the query goes", () => {
  assert.equal(collapsePath("/users/42"), "/users/:id");
  assert.equal(collapsePath("/users/42/orders/7?x=1#y"), "/users/:id/orders/:id");
  assert.equal(collapsePath("/f/3f2b8c1e-7d1a-4c5e-9b2a-1c2d3e4f5a6b"), "/f/:id");
  assert.equal(collapsePath("/c/5f1d3a9b8c7e"), "/c/:id", "hex of 12+");
  assert.equal(collapsePath("/t/V1StGXR8_Z5jdHi6B-myT"), "/t/:id", "nanoid");
  assert.equal(collapsePath("/api/v2/health"), "/api/v2/health");
  assert.equal(collapsePath("/blog/hello-world"), "/blog/hello-world");
  assert.equal(collapsePath("*"), "/*");
  assert.ok(collapsePath(`/${"a".repeat(500)}`).length <= 121);
});

test("durations keep two significant figures", () => {
  assert.equal(roughDuration(0.25), "250µs");
  assert.equal(roughDuration(0.2567), "260µs");
  assert.equal(roughDuration(12.345), "12ms");
  assert.equal(roughDuration(1.26), "1.3ms");
  assert.equal(roughDuration(4567), "4.6s");
});
