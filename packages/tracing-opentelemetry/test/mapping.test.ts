// The layer's mapping against tracing-opentelemetry's layer.rs: busy/idle time, threads,
// code.* names, otel.* fields recorded later, and errors with their cause chain.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { callsite, Level, logger, withSubscriber } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";
import { type OpenTelemetryLayerOptions, openTelemetryLayer } from "../src/index.ts";

const log = logger("app::mapping");
const noMessage = callsite({
  kind: "event",
  level: Level.WARN,
  target: "app::mapping",
  name: "event",
});

function run(
  fn: () => void,
  options: Omit<OpenTelemetryLayerOptions, "tracer"> = {},
): Map<string, ReadableSpan> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const layer = openTelemetryLayer({ ...options, tracer: provider.getTracer("mapping") });
  withSubscriber(registry().with(layer), fn);
  return new Map(exporter.getFinishedSpans().map((s) => [s.name, s]));
}

function get(spans: Map<string, ReadableSpan>, name: string): ReadableSpan {
  const s = spans.get(name);
  assert.ok(s !== undefined, `span ${name} exported`);
  return s;
}

describe("OpenTelemetry mapping", () => {
  test("busy_ns and idle_ns on every span, from the layer's clock", () => {
    let t = 1_700_000_000_000;
    const spans = run(
      () => {
        const s = log.span(Level.INFO, "timed");
        t += 2; // idle 2 ms
        s.inScope(() => {
          t += 5; // busy 5 ms
        });
        t += 1; // idle 1 ms
        s.close();
      },
      { clock: () => t },
    );
    const s = get(spans, "timed");
    assert.equal(s.attributes.busy_ns, 5_000_000);
    assert.equal(s.attributes.idle_ns, 3_000_000);
    assert.deepEqual(s.startTime, [1_700_000_000, 0]);
    assert.deepEqual(s.endTime, [1_700_000_000, 8_000_000]);
    const off = get(
      run(() => log.span(Level.INFO, "untimed").close(), { trackInactivity: false }),
      "untimed",
    );
    assert.equal("busy_ns" in off.attributes, false);
  });

  test("thread.id and thread.name; target and level on spans only when asked", () => {
    const s = get(
      run(() => log.span(Level.WARN, "t").close()),
      "t",
    );
    assert.equal(s.attributes["thread.id"], 0);
    assert.equal(s.attributes["thread.name"], "main");
    assert.equal("target" in s.attributes, false);
    assert.equal("level" in s.attributes, false);
    const withLevel = get(
      run(() => log.span(Level.WARN, "t").close(), { targetAndLevel: true, threads: false }),
      "t",
    );
    assert.equal(withLevel.attributes.level, "WARN");
    assert.equal(withLevel.attributes.target, "app::mapping");
    assert.equal("thread.id" in withLevel.attributes, false);
  });

  test("code.* names: upstream's by default, the stable ones or both on request", () => {
    // A callsite that knows where it is, as one declared with callsite() does.
    const cs = callsite({
      kind: "span",
      level: Level.INFO,
      target: "app::mapping",
      name: "located",
      file: "src/app.ts",
      line: 12,
      column: 3,
    });
    const located = () => cs.span().close();
    const legacy = get(run(located), "located").attributes;
    assert.deepEqual(
      [legacy["code.filepath"], legacy["code.namespace"], legacy["code.lineno"]],
      ["src/app.ts", "app::mapping", 12],
    );
    assert.equal("code.file.path" in legacy, false);
    const stable = get(run(located, { codeAttributes: "stable" }), "located").attributes;
    assert.deepEqual(
      [stable["code.file.path"], stable["code.line.number"], stable["code.column.number"]],
      ["src/app.ts", 12, 3],
    );
    assert.equal("code.filepath" in stable, false);
    const both = get(run(located, { codeAttributes: "both" }), "located").attributes;
    assert.equal(both["code.filepath"], "src/app.ts");
    assert.equal(both["code.file.path"], "src/app.ts");
    const none = get(run(located, { location: false }), "located").attributes;
    assert.equal("code.filepath" in none, false);
  });

  test("otel.kind and otel.status_* recorded later are honoured; status_description alone is Error", () => {
    const spans = run(() => {
      const a = log.span(Level.INFO, "a", {
        "otel.kind": undefined,
        "otel.status_code": undefined,
      });
      a.record("otel.kind", "client");
      a.record("otel.status_code", "ok");
      a.close();
      const b = log.span(Level.INFO, "b", { "otel.status_description": undefined });
      b.record("otel.status_description", "backend refused");
      b.close();
      const c = log.span(Level.INFO, "c", { "otel.status_code": "error" });
      c.record("otel.status_code", "unset");
      c.close();
      const d = log.span(Level.INFO, "d", { "otel.status_code": "ok" });
      d.inScope(() => log.error("ignored: an explicit status wins over error events"));
      d.close();
    });
    assert.equal(get(spans, "a").kind, SpanKind.CLIENT);
    assert.deepEqual(get(spans, "a").status, { code: 1 });
    assert.deepEqual(get(spans, "b").status, { code: 2, message: "backend refused" });
    assert.deepEqual(get(spans, "c").status, { code: 0 });
    assert.deepEqual(get(spans, "d").status, { code: 1 });
  });

  test("an event's error field: exception.* with the cause chain on the event and the span", () => {
    const spans = run(() => {
      const s = log.span(Level.INFO, "yak");
      const err = new Error("missing yak", {
        cause: new Error("out of space", { cause: new Error("out of cash") }),
      });
      s.inScope(() => log.error("shaving failed", { error: err }));
      s.close();
      const t = log.span(Level.INFO, "plain");
      t.inScope(() => noMessage.event({ error: "timed out" }));
      t.close();
    });
    const s = get(spans, "yak");
    const ev = s.events[0];
    assert.equal(ev?.name, "shaving failed");
    assert.equal(ev?.attributes?.error, "missing yak");
    assert.deepEqual(ev?.attributes?.["error.chain"], ["out of space", "out of cash"]);
    assert.equal(ev?.attributes?.["exception.message"], "missing yak");
    const stack = String(ev?.attributes?.["exception.stacktrace"]);
    assert.match(
      stack,
      /Error: missing yak[\s\S]*Caused by: Error: out of space[\s\S]*Caused by: Error: out of cash/,
    );
    assert.equal(s.attributes["exception.message"], "missing yak");
    assert.match(String(s.attributes["exception.stacktrace"]), /Caused by: Error: out of cash/);
    assert.deepEqual(s.status, { code: 2, message: "missing yak" });
    const t = get(spans, "plain");
    assert.equal(t.events[0]?.name, "exception");
    assert.equal(t.events[0]?.attributes?.["exception.message"], "timed out");
    assert.deepEqual(t.status, { code: 2, message: "timed out" });
  });

  test("endOnExit ends a span at its last exit", () => {
    let t = 1_000_000;
    const spans = run(
      () => {
        const s = log.span(Level.INFO, "exited");
        s.inScope(() => {
          t += 1;
        });
        t += 50;
        s.close();
      },
      { clock: () => t, endOnExit: true },
    );
    assert.deepEqual(get(spans, "exited").endTime, [1000, 1_000_000]);
  });

  test("hostile values (revoked proxies, throwing getters, cyclic causes) lose no span", () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const nasty = new Error("nasty");
    Object.defineProperty(nasty, "cause", {
      get() {
        throw new Error("no cause for you");
      },
    });
    const cyclic = new Error("a");
    const b = new Error("b", { cause: cyclic });
    (cyclic as { cause?: unknown }).cause = b;
    const spans = run(() => {
      const s = log.span(Level.INFO, "hostile", { proxy: revoked.proxy, nasty, cyclic });
      s.inScope(() => log.error("bad", { error: nasty, proxy: revoked.proxy }));
      s.close();
    });
    const s = get(spans, "hostile");
    assert.equal(s.attributes.nasty, "nasty");
    assert.deepEqual(s.attributes["nasty.chain"], []);
    assert.deepEqual(s.attributes["cyclic.chain"], ["b"]);
    assert.equal(s.events[0]?.attributes?.error, "nasty");
  });
});
