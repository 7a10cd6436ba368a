// The Jaeger collector's gRPC port (14250): jaeger.api_v2.CollectorService/PostSpans on
// @grpc/grpc-js; messages stay raw bytes until the writer decodes them (jaeger-grpc-decode.ts).
import * as grpc from "@grpc/grpc-js";
import { OtlpDecodeError } from "../otlp/decode.ts";
import { GrpcBudgetError } from "./grpc-budget.ts";
import type { IngestSink } from "./ingest.ts";
import { bindGrpc, MAX_STREAMS_PER_CONNECTION } from "./otlp-grpc.ts";

const identity = (b: Buffer) => b;

export async function startJaegerGrpc(
  host: string,
  port: number,
  sink: IngestSink,
  maxMessageBytes: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_concurrent_streams": MAX_STREAMS_PER_CONNECTION,
  });
  server.addService(
    {
      PostSpans: {
        path: "/jaeger.api_v2.CollectorService/PostSpans",
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      PostSpans(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
        sink.submit("jaeger-grpc", call.request).then(
          () => callback(null, Buffer.alloc(0)),
          (e: unknown) =>
            e instanceof OtlpDecodeError
              ? callback({ code: grpc.status.INVALID_ARGUMENT, details: e.message })
              : e instanceof GrpcBudgetError
                ? callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: e.message })
                : callback({
                    code: grpc.status.UNAVAILABLE,
                    details: `PERISCOPE_VIEWER_STORE: the batch was not stored (${(e as Error).message}); retry later`,
                  }),
        );
      },
    },
  );
  return bindGrpc(server, host, port);
}
