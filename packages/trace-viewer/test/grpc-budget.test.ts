// The total cap on gRPC message bytes held at once, shared by the OTLP and Jaeger gRPC
// receivers across streams and connections: past it, RESOURCE_EXHAUSTED until bytes are stored.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { InFlightLimit } from "../src/receivers/grpc-budget.ts";
import type { IngestResult, IngestSink } from "../src/receivers/ingest.ts";
import { startJaegerGrpc } from "../src/receivers/jaeger-grpc.ts";
import { startGrpcReceiver } from "../src/receivers/otlp-grpc.ts";

const OTLP = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const JAEGER = "/jaeger.api_v2.CollectorService/PostSpans";

test("gRPC: bytes held over both receivers and all connections are capped in total", async (t) => {
  // A store that commits only when the test says so, holding every submitted body meanwhile.
  const waiting: Array<() => void> = [];
  const slow: IngestSink = {
    submit: () =>
      new Promise<IngestResult>((resolve) => {
        waiting.push(() => resolve({ accepted: 1, rejected: 0, errorMessage: "" }));
      }),
  };
  const limit = new InFlightLimit(slow, 3000);
  const otlp = await startGrpcReceiver("127.0.0.1", 0, limit, 4 * 1024 * 1024);
  const jaeger = await startJaegerGrpc("127.0.0.1", 0, limit, 4 * 1024 * 1024);
  t.after(() => Promise.all([otlp.close(), jaeger.close()]));
  // Separate clients: separate connections.
  const clients = [otlp.port, jaeger.port, jaeger.port].map(
    (p) => new grpc.Client(`127.0.0.1:${p}`, grpc.credentials.createInsecure()),
  );
  t.after(() => {
    for (const c of clients) c.close();
  });
  const call = (c: grpc.Client, path: string, bytes: number) =>
    new Promise<grpc.ServiceError | null>((resolve) => {
      c.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(bytes),
        (err) => resolve(err),
      );
    });
  const first = call(clients[0]!, OTLP, 2000);
  while (limit.held === 0) await new Promise((r) => setTimeout(r, 5));
  const refused = await call(clients[1]!, JAEGER, 2000);
  assert.equal(refused?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(refused?.details ?? "", /PERISCOPE_VIEWER_GRPC_BUSY.*--grpc-max-in-flight/);
  assert.equal(limit.held, 2000, "the refused message holds nothing");
  // Under the cap together: let through.
  const small = call(clients[2]!, JAEGER, 500);
  while (waiting.length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.equal(limit.held, 2500);
  for (const w of waiting.splice(0)) w();
  assert.equal(await first, null);
  assert.equal(await small, null);
  assert.equal(limit.held, 0);
  // Once stored, room again.
  const again = call(clients[1]!, JAEGER, 2000);
  while (waiting.length < 1) await new Promise((r) => setTimeout(r, 5));
  waiting.pop()!();
  assert.equal(await again, null);
});
