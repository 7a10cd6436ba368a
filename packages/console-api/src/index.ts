// @periscope/console-api: tokio console-api messages, codecs and the Instrument gRPC service.
// Generated code lives in ./generated (ts-proto over proto/*.proto); this file names the public surface.

export type { ClientOptions, ServiceError } from "@grpc/grpc-js";
export { createInstrumentClient, DEFAULT_CONSOLE_ADDRESS, grpcTarget } from "./client.ts";
export {
  AsyncOp,
  AsyncOpUpdate,
  AsyncOpUpdate_StatsUpdateEntry,
  Stats as AsyncOpStats,
} from "./generated/async_ops.ts";
export {
  Attribute,
  Field,
  Id,
  Location,
  Metadata,
  Metadata_Kind,
  Metadata_Level,
  MetaId,
  PollStats,
  RegisterMetadata,
  RegisterMetadata_NewMetadata,
  Span,
  SpanId,
} from "./generated/common.ts";
export { Duration } from "./generated/google/protobuf/duration.ts";
export { Timestamp } from "./generated/google/protobuf/timestamp.ts";
export {
  InstrumentClient,
  InstrumentRequest,
  type InstrumentServer,
  InstrumentService,
  type MessageFns,
  PauseRequest,
  PauseResponse,
  ResumeRequest,
  ResumeResponse,
  State,
  StateRequest,
  TaskDetailsRequest,
  Temporality,
  Update,
} from "./generated/instrument.ts";
export {
  PollOp,
  Resource,
  Resource_Kind,
  Resource_Kind_Known,
  ResourceUpdate,
  ResourceUpdate_StatsUpdateEntry,
  Stats as ResourceStats,
} from "./generated/resources.ts";
export {
  DurationHistogram,
  Stats as TaskStats,
  Task,
  Task_Kind,
  TaskDetails,
  TaskUpdate,
  TaskUpdate_StatsUpdateEntry,
} from "./generated/tasks.ts";
export {
  TraceClient,
  TraceEvent,
  TraceEvent_Close,
  TraceEvent_Enter,
  TraceEvent_Exit,
  TraceEvent_RegisterThreads,
  type TraceServer,
  TraceService,
  WatchRequest,
} from "./generated/trace.ts";
export {
  type DecodedHistogram,
  decodeHdrHistogramV2,
  HDR_V2_COOKIE,
  HdrHistogram,
} from "./hdr-histogram.ts";
export {
  decodeRecording,
  encodeRecordingFrame,
  frameEncodedUpdate,
  MAX_RECORDING_FRAME,
  RECORDING_MAGIC,
  RecordingDecoder,
  recordingHeader,
} from "./recording.ts";
export { durationFromNs, durationToNs, timestampFromMs, timestampToMs } from "./time.ts";
