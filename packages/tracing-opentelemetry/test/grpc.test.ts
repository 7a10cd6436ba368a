// OTLP over gRPC: the official gRPC exporter, chosen by option or by OTEL_EXPORTER_OTLP_PROTOCOL,
// into a loopback TraceService that decodes with the official OTLP protos.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Level, logger, withSubscriber } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";
import { initOpenTelemetry } from "../src/index.ts";
import { decodeSpans, loadType, Receiver } from "./receiver.ts";

const log = logger("test::grpc");
let server: grpc.Server;
let address = "";
const sink = new Receiver();

before(async () => {
  const type = await loadType();
  server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        // An empty ExportTraceServiceResponse encodes to zero bytes.
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: () => ({}),
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, object>, done: grpc.sendUnaryData<object>) => {
        sink.add(decodeSpans(type, call.request));
        done(null, {});
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  address = `http://127.0.0.1:${port}`;
});
after(() => server.forceShutdown());

test("protocol grpc by option", { timeout: 20_000 }, async () => {
  sink.spans.length = 0;
  const otel = initOpenTelemetry({
    serviceName: "grpc-test",
    protocol: "grpc",
    endpoint: address,
    env: {},
    handleSignals: false,
  });
  withSubscriber(registry().with(otel.layer), () => {
    const s = log.span(Level.INFO, "over-grpc", { n: 1 });
    s.inScope(() => log.span(Level.INFO, "child").close());
    s.close();
  });
  await otel.forceFlush();
  await sink.waitFor(2);
  const parent = sink.byName("over-grpc");
  assert.equal(sink.byName("child").parentSpanId, parent.spanId);
  assert.equal(parent.attributes.n, 1);
  assert.equal(parent.resource["service.name"], "grpc-test");
  assert.equal(otel.endpoint, address);
  await otel.shutdown();
});

test("protocol grpc from OTEL_EXPORTER_OTLP_PROTOCOL and OTEL_EXPORTER_OTLP_ENDPOINT", {
  timeout: 20_000,
}, async () => {
  sink.spans.length = 0;
  const otel = initOpenTelemetry({
    env: {
      OTEL_SERVICE_NAME: "grpc-env",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_EXPORTER_OTLP_ENDPOINT: address,
    },
    handleSignals: false,
  });
  withSubscriber(registry().with(otel.layer), () => log.span(Level.INFO, "from-env").close());
  await otel.forceFlush();
  await sink.waitFor(1);
  assert.equal(sink.byName("from-env").resource["service.name"], "grpc-env");
  await otel.shutdown();
});
