// OTLP/gRPC receiver: opentelemetry.proto.collector.trace.v1.TraceService/Export on
// @grpc/grpc-js. Messages stay raw bytes until the shared ingest path decodes them.
import { createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { OtlpDecodeError } from "../otlp/decode.ts";
import { encodeExportResponse } from "../otlp/schema.ts";
import { GrpcBudgetError } from "./grpc-budget.ts";
import type { IngestSink } from "./ingest.ts";

const identity = (b: Buffer) => b;

const TraceService: grpc.ServiceDefinition = {
  Export: {
    path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** The largest OTLP/gRPC message accepted by default, as the OpenTelemetry Collector's. */
export const DEFAULT_GRPC_MAX_MESSAGE = 4 * 1024 * 1024;

/** Concurrent streams per HTTP/2 connection. */
export const MAX_STREAMS_PER_CONNECTION = 32;

export interface GrpcReceiver {
  server: grpc.Server;
  port: number;
  close(): Promise<void>;
}

export async function startGrpcReceiver(
  host: string,
  port: number,
  sink: IngestSink,
  maxMessageBytes: number,
): Promise<GrpcReceiver> {
  const server = new grpc.Server({
    // Refused as soon as the length prefix says more (RESOURCE_EXHAUSTED), so a stream that
    // declares 50 MiB and stalls holds nothing; the Collector's default is 4 MiB too.
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": 1024 * 1024,
    // Bounds what one connection can hold in flight: streams x message cap.
    "grpc.max_concurrent_streams": MAX_STREAMS_PER_CONNECTION,
  });
  server.addService(TraceService, {
    Export(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      sink.submit("otlp-protobuf", call.request).then(
        (r) => callback(null, Buffer.from(encodeExportResponse(r.rejected, r.errorMessage))),
        (e: unknown) => {
          if (e instanceof OtlpDecodeError) {
            callback({ code: grpc.status.INVALID_ARGUMENT, details: e.message });
          } else if (e instanceof GrpcBudgetError) {
            callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: e.message });
          } else {
            callback({
              code: grpc.status.UNAVAILABLE,
              details: `PERISCOPE_VIEWER_STORE: the batch was not stored (${(e as Error).message}); retry later`,
            });
          }
        },
      );
    },
  });
  return bindGrpc(server, host, port);
}

/** Binds a grpc-js server; closing it waits 2 s at most for clients holding streams open. */
export async function bindGrpc(
  server: grpc.Server,
  host: string,
  port: number,
): Promise<GrpcReceiver> {
  // grpc-js logs its own line when a port is taken; probing first lets the caller's clear
  // message be the only one the user sees.
  if (port !== 0) await probePort(host, port);
  const bracketed = host.includes(":") ? `[${host}]` : host;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bracketed}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    server,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Clients holding streams open must not keep the viewer from exiting.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}

function probePort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
