// Context both ways with @opentelemetry/instrumentation-http: its server spans parent our spans,
// our spans parent its client spans, and traceparent carries the trace across the wire.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { Level, logger } from "@periscope/tracing";
import { type Registry, registry } from "@periscope/tracing-subscriber";
import {
  extractTraceContext,
  initOpenTelemetry,
  injectTraceContext,
  type OpenTelemetry,
  otelSpan,
  withTraceContext,
} from "../src/index.ts";
import { Receiver } from "./receiver.ts";

const log = logger("test::http");

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

describe("with the HTTP auto-instrumentation", () => {
  let receiver: Receiver;
  let otel: OpenTelemetry;
  let inst: HttpInstrumentation;
  let reg: Registry;
  let server: http.Server;
  let base = "";

  before(async () => {
    receiver = await new Receiver().start();
    otel = initOpenTelemetry({
      serviceName: "http-test",
      endpoint: receiver.url,
      env: {},
      handleSignals: false,
    });
    inst = new HttpInstrumentation({
      // The exporter's own requests are suppressed by the SDK; keep the receiver out anyway.
      ignoreOutgoingRequestHook: (req) => String(req.path ?? "").startsWith("/v1/"),
    });
    inst.setTracerProvider(otel.tracerProvider);
    inst.enable();
    // ESM imports of node:http bypass require hooks: a require after enable() lets the
    // instrumentation patch the shared module object that our default import also uses.
    createRequire(import.meta.url)("node:http");
    reg = registry().with(otel.layer).init();
    server = http.createServer((req, res) => {
      // Outside our spans, inside the instrumentation's server span: an event on that span.
      log.info("request arrived", { path: req.url });
      const handler = log.span(Level.INFO, `handle ${req.url}`, { path: req.url });
      void handler.inScope(async () => {
        let body = "leaf";
        if (req.url === "/a") body = await get(`${base}/b`);
        log.info("handled");
        res.end(body);
      });
      res.on("finish", () => handler.close());
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    inst.disable();
    await otel.shutdown();
    await receiver.close();
  });

  test("one trace: our span > client > server > our handler > client > server > our handler", {
    timeout: 20_000,
  }, async () => {
    receiver.spans.length = 0;
    const outer = log.span(Level.INFO, "outer");
    const body = await outer.inScope(() => get(`${base}/a`));
    outer.close();
    assert.equal(body, "leaf");
    await otel.forceFlush();
    await receiver.waitFor(7);
    const spans = receiver.spans;
    assert.equal(spans.length, 7, spans.map((s) => s.name).join(", "));
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, "a single trace");

    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentName = (name: string): string => {
      const s = receiver.byName(name);
      return s.parentSpanId === "" ? "(root)" : (byId.get(s.parentSpanId)?.name ?? "(missing)");
    };
    assert.equal(parentName("outer"), "(root)");
    assert.equal(parentName("handle /a"), "GET");
    assert.equal(parentName("handle /b"), "GET");
    // Two client spans (kind 3) and two server spans (kind 2), all named "GET".
    const clients = spans.filter((s) => s.kind === 3);
    const servers = spans.filter((s) => s.kind === 2);
    assert.equal(clients.length, 2);
    assert.equal(servers.length, 2);
    const name = (id: string): string => byId.get(id)?.name ?? "(missing)";
    assert.deepEqual(clients.map((c) => name(c.parentSpanId)).sort(), ["handle /a", "outer"]);
    for (const s of servers) assert.equal(byId.get(s.parentSpanId)?.kind, 3, "server under client");
    const handleA = receiver.byName("handle /a");
    const handleB = receiver.byName("handle /b");
    // handler -> its server span -> the client span that called it -> the caller.
    const caller = (h: typeof handleA): string => {
      const srv = byId.get(h.parentSpanId);
      const client = byId.get(srv?.parentSpanId ?? "");
      return name(client?.parentSpanId ?? "");
    };
    assert.equal(caller(handleA), "outer");
    const serverOfA = byId.get(handleA.parentSpanId);
    assert.equal(caller(handleB), "handle /a");
    assert.deepEqual(
      handleA.events.map((e) => e.name),
      ["handled"],
    );
    for (const s of servers) {
      assert.deepEqual(
        s.events.map((e) => [e.name, e.attributes.path]),
        [["request arrived", s === serverOfA ? "/a" : "/b"]],
      );
    }
    assert.equal(reg.liveSpans, 0);
  });

  test("traceparent helpers: inject from our span, extract into a parent for our root span", {
    timeout: 20_000,
  }, async () => {
    receiver.spans.length = 0;
    assert.deepEqual(injectTraceContext({}), {}, "nothing current: no header");
    const sender = log.span(Level.INFO, "sender");
    const headers = sender.inScope(() => injectTraceContext({} as Record<string, string>));
    const sent = otelSpan(sender)?.spanContext();
    assert.ok(sent);
    assert.equal(headers.traceparent, `00-${sent.traceId}-${sent.spanId}-01`);
    sender.close();

    const remote = log.span(Level.INFO, "receiver-side", {}, { parent: null });
    remote.close();
    const incoming = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    withTraceContext(incoming, () => {
      const s = log.span(Level.INFO, "continued");
      s.close();
    });
    // A malformed (hostile) header yields no parent: the span inside is a root.
    const bad = extractTraceContext({ traceparent: "00-\u001b[31mnot-a-trace\u001b[0m-01" });
    withTraceContext({ traceparent: "00-\u001b[31mnot-a-trace\u001b[0m-01" }, () =>
      log.span(Level.INFO, "after-garbage").close(),
    );
    assert.equal(bad, ROOT_CONTEXT);
    await otel.forceFlush();
    await receiver.waitFor(4);
    assert.equal(receiver.byName("after-garbage").parentSpanId, "");
    const continued = receiver.byName("continued");
    assert.equal(continued.traceId, "0af7651916cd43dd8448eb211c80319c");
    assert.equal(continued.parentSpanId, "b7ad6b7169203331");
    assert.equal(receiver.byName("receiver-side").parentSpanId, "");
  });
});
