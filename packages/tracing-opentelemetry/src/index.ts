// @periscope/tracing-opentelemetry: our spans and events as OpenTelemetry spans, exported over
// OTLP by the official SDK, with context shared both ways with OpenTelemetry instrumentations.
// The metric instrument types and the no-op meter, so apps need not depend on the API directly.
export {
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type UpDownCounter,
} from "@opentelemetry/api";
export { fieldsToAttributes, toAttribute } from "./attributes.ts";
export { otelContext, otelSpan, PeriscopeContextManager } from "./context.ts";
export {
  type BatchConfig,
  type Env,
  OtelConfigError,
  type OtlpProtocol,
  samplerFromEnv,
} from "./env.ts";
export { initOpenTelemetry, type OpenTelemetry, type OpenTelemetryOptions } from "./init.ts";
export { OpenTelemetryLayer, type OpenTelemetryLayerOptions, openTelemetryLayer } from "./layer.ts";
export type { CodeAttributes } from "./mapping.ts";
export {
  createMetrics,
  type Metrics,
  type MetricsOptions,
  type PrometheusOptions,
} from "./metrics.ts";
export { extractTraceContext, injectTraceContext, withTraceContext } from "./propagation.ts";
export { PROPAGATOR_NAMES, propagatorFromEnv } from "./propagators.ts";
export { ExportCounter, type ExportStats } from "./stats.ts";
