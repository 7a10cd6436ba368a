// Public surface of @periscope/trace-viewer: the `periscope viewer` command and startViewer for
// embedding it (tests, the demo), plus the store and decoders for those who build on them.
export { parseSize, runViewerCli } from "./cli.ts";
export { decodeProtobuf, OtlpDecodeError } from "./otlp/decode.ts";
export { decodeJson } from "./otlp/json-decode.ts";
export { OTLP_PROTO_DIR } from "./otlp/schema.ts";
export type { QueryLimits } from "./query/answer.ts";
export type { JaegerSpan, JaegerTag, JaegerTrace } from "./query/jaeger-json.ts";
export type { IngestResult, IngestSink } from "./receivers/ingest.ts";
export type { ProtocolAddresses, ProtocolOptions } from "./receivers/protocols.ts";
export { decodeWire, type WireFormat } from "./receivers/wire.ts";
export type { TraceQuery, TraceSummary } from "./store/read.ts";
export { type RetentionResult, type StoreOptions, TraceStore } from "./store/store.ts";
export {
  defaultDataDir,
  type RunningViewer,
  type StoreHandle,
  startViewer,
  type ViewerOptions,
} from "./viewer.ts";
