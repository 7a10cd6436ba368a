// @periscope/tracing-subscriber: the Registry, layer composition, EnvFilter, the fmt layer,
// init() and the tracing-mock style test kit.
export { type Directive, type FieldMatch, parseDirectives, type ValueMatch } from "./directive.ts";
export { EnvFilter, type EnvFilterOptions, envFilter, type ReloadHandle } from "./env-filter.ts";
export {
  type FmtFormat,
  FmtLayer,
  type FmtOptions,
  fmtLayer,
  parseFormat,
} from "./fmt.ts";
export { type InitOptions, init } from "./init.ts";
export type { Context, Filter, Layer, SpanRef } from "./layer.ts";
export {
  type EventExpectation,
  expect,
  MockLayer,
  type Notification,
  type NotificationKind,
  Script,
  type SpanExpectation,
} from "./mock.ts";
export { Registry, registry } from "./registry.ts";
export { DEFAULT_LIMITS, displayText, jsonValue, type RenderLimits, textValue } from "./render.ts";
export { formatDuration, rfc3339Micros } from "./time.ts";
export { FileWriter, makeWriter, type Writer, type WriterOption } from "./writer.ts";
