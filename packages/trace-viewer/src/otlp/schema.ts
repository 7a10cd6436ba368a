// Loads the OTLP trace .proto files shipped in ../proto with protobufjs and exposes the message
// types the receivers decode and encode. Parsed once per process.
import { join } from "node:path";
import protobuf from "protobufjs";

/** The OTLP .proto files (field for field opentelemetry-proto's), for tools and tests. */
export const OTLP_PROTO_DIR = join(import.meta.dirname, "..", "..", "proto");
const PROTO_DIR = OTLP_PROTO_DIR;

function load(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports in the .proto files are relative to the proto root, as protoc's -I would resolve them.
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync(
    ["opentelemetry/proto/collector/trace/v1/trace_service.proto", "google/rpc/status.proto"],
    { keepCase: false },
  );
  root.resolveAll();
  return root;
}

const root = load();

export const ExportTraceServiceRequest = root.lookupType(
  "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
);
export const ExportTraceServiceResponse = root.lookupType(
  "opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse",
);
export const SpanMessage = root.lookupType("opentelemetry.proto.trace.v1.Span");
export const RpcStatus = root.lookupType("google.rpc.Status");

/** Encodes an ExportTraceServiceResponse; partial success only when something was rejected. */
export function encodeExportResponse(rejected: number, errorMessage: string): Uint8Array {
  const msg =
    rejected > 0 || errorMessage
      ? { partialSuccess: { rejectedSpans: rejected, errorMessage } }
      : {};
  return ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(msg)).finish();
}

/** Encodes a google.rpc.Status, the error body OTLP/HTTP sends with 4xx/5xx in protobuf mode. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
}
