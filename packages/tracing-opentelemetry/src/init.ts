// One call to export over OTLP: resource, exporter, batch processor and sampler from OTEL_* env,
// the context bridge and W3C propagation installed globally, and a flush on exit and signals.
import {
  type Attributes,
  context,
  propagation,
  type TextMapPropagator,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as OTLPProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { AWSXRayIdGenerator } from "@opentelemetry/id-generator-aws-xray";
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  type IdGenerator,
  type Sampler,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { PeriscopeContextManager } from "./context.ts";
import {
  type BatchConfig,
  batchFromEnv,
  type Env,
  envBool,
  envNumber,
  envString,
  type OtlpProtocol,
  protocolFromEnv,
  resourceAttributesFromEnv,
  samplerFromEnv,
} from "./env.ts";
import { OpenTelemetryLayer, type OpenTelemetryLayerOptions } from "./layer.ts";
import { createMetrics, type MetricsOptions } from "./metrics.ts";
import { propagatorFromEnv } from "./propagators.ts";
import { ExportCounter, type ExportStats } from "./stats.ts";

export interface OpenTelemetryOptions {
  /** service.name; OTEL_SERVICE_NAME wins over it when set. */
  serviceName?: string;
  serviceVersion?: string;
  /** More resource attributes; OTEL_RESOURCE_ATTRIBUTES adds to (and overrides) these. */
  resourceAttributes?: Attributes;
  /** Default OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  protocol?: OtlpProtocol;
  /**
   * Full traces endpoint. Default OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
   * OTEL_EXPORTER_OTLP_ENDPOINT (+ "/v1/traces" for HTTP), else http://localhost:4318/v1/traces
   * (HTTP) or http://localhost:4317 (gRPC).
   */
  endpoint?: string;
  /** Replaces the OTLP exporter (tests, benchmarks, a custom backend). */
  exporter?: SpanExporter;
  /** Default from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, else parent-based always-on. */
  sampler?: Sampler;
  /**
   * Trace and span ids: "random" (default) or "xray", AWS X-Ray's time-prefixed trace ids
   * (`@opentelemetry/id-generator-aws-xray`), or any IdGenerator.
   */
  idGenerator?: IdGenerator | "random" | "xray";
  /**
   * The propagator registered globally (and used by injectTraceContext/extractTraceContext).
   * Default from OTEL_PROPAGATORS: tracecontext, baggage, b3, b3multi, xray or none; unset
   * means "tracecontext,baggage".
   */
  propagator?: TextMapPropagator;
  /** Default from OTEL_BSP_*. */
  batch?: Partial<BatchConfig>;
  /** Instrumentation scope of our spans; default the service name. */
  tracerName?: string;
  /** Layer options other than the tracer. */
  layer?: Omit<OpenTelemetryLayerOptions, "tracer">;
  /**
   * Register the tracer provider, the context bridge and the W3C propagator globally, so that
   * OpenTelemetry auto-instrumentations join the same traces. Default true.
   */
  registerGlobals?: boolean;
  /** Flush on SIGINT/SIGTERM (then die of the signal if nobody else listens). Default true. */
  handleSignals?: boolean;
  /** How long a signal-triggered flush may take before the process goes anyway. Default 5000. */
  shutdownTimeoutMillis?: number;
  /** Metrics: Prometheus at /metrics and/or OTLP push. Default: a MeterProvider with no reader. */
  metrics?: Omit<MetricsOptions, "resource" | "env">;
  /** Environment to read OTEL_* from; default process.env. */
  env?: Env;
}

export interface OpenTelemetry {
  /** Add it to the registry: `registry().with(otel.layer).init()`. */
  readonly layer: OpenTelemetryLayer;
  readonly tracer: Tracer;
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly resource: Resource;
  /** Where Prometheus can scrape, once listening (undefined without `metrics.prometheus`). */
  readonly prometheusUrl: Promise<string | undefined>;
  /** Where traces go, or "custom exporter". */
  readonly endpoint: string;
  /** Spans ended, exported, dropped (queue full), failed (collector down) and pending. */
  stats(): ExportStats;
  /** Exports every ended span now. Never rejects: failures show in stats().failed. */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporting, closes the metrics server and unregisters what it registered. */
  shutdown(): Promise<void>;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Sets up export over OTLP; see OpenTelemetryOptions and the README's env table. */
export function initOpenTelemetry(options: OpenTelemetryOptions = {}): OpenTelemetry {
  const env = options.env ?? process.env;
  // Read before anything starts, so a bad OTEL_PROPAGATORS fails init and leaks nothing.
  const propagator =
    options.propagator ?? (options.registerGlobals === false ? undefined : propagatorFromEnv(env));
  const idGenerator =
    options.idGenerator === "xray"
      ? new AWSXRayIdGenerator()
      : options.idGenerator === "random"
        ? undefined
        : options.idGenerator;
  const resource = makeResource(options, env);
  const batch = { ...batchFromEnv(env), ...options.batch };
  // In-flight exports hold spans too. One at a time is the norm, but a flush sends the whole
  // queue at once, and after a failed export the SDK may start the next before the last ended:
  // the limit keeps that bounded (queue + limit x batch spans at most).
  const concurrencyLimit = Math.ceil(batch.maxQueueSize / batch.maxExportBatchSize) + 1;
  const { exporter, endpoint } = makeExporter(options, env, concurrencyLimit);
  const counter = new ExportCounter();
  const processor = new BatchSpanProcessor({
    exporter,
    ...batch,
    selfObsMeterProvider: counter.meterProvider(),
  });
  const tracerProvider = new TracerProvider({
    resource,
    sampler: envBool(env, "OTEL_SDK_DISABLED")
      ? new AlwaysOffSampler()
      : (options.sampler ?? samplerFromEnv(env)),
    spanProcessors: [counter.processor(), processor],
    ...(idGenerator === undefined ? {} : { idGenerator }),
  });
  const serviceName = String(resource.attributes[ATTR_SERVICE_NAME] ?? "periscope");
  const tracer = tracerProvider.getTracer(options.tracerName ?? serviceName);
  const layer = new OpenTelemetryLayer({ ...options.layer, tracer });
  const metrics = createMetrics({ ...options.metrics, resource, env });

  const registered = { trace: false, context: false, propagation: false };
  if (options.registerGlobals ?? true) {
    registered.trace = trace.setGlobalTracerProvider(tracerProvider);
    registered.context = context.setGlobalContextManager(new PeriscopeContextManager());
    if (propagator !== undefined)
      registered.propagation = propagation.setGlobalPropagator(propagator);
  }

  let down: Promise<void> | undefined;
  let flushing = false;
  const flush = (): Promise<void> => tracerProvider.forceFlush().catch(() => undefined);
  const shutdown = (): Promise<void> => {
    if (down !== undefined) return down;
    removeHooks();
    down = (async () => {
      await tracerProvider.shutdown().catch(() => undefined);
      counter.stopped = true;
      await metrics.shutdown();
      if (registered.trace) trace.disable();
      if (registered.context) context.disable();
      if (registered.propagation) propagation.disable();
    })();
    return down;
  };

  // Normal exit: the loop is empty, so spans still queued would be lost; export them first.
  // Checking `pending` stops this from looping once the queue is empty or the export failed.
  const onBeforeExit = (): void => {
    if (down !== undefined || flushing || counter.snapshot().pending === 0) return;
    flushing = true;
    void flush().finally(() => {
      flushing = false;
    });
  };
  const timeout = options.shutdownTimeoutMillis ?? 5000;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // A second Ctrl-C: the user wants out now.
      reraise(signal);
      return;
    }
    signalled = true;
    const timer = setTimeout(() => reraise(signal), timeout);
    void shutdown().finally(() => {
      clearTimeout(timer);
      reraise(signal);
    });
  };
  const reraise = (signal: NodeJS.Signals): void => {
    removeHooks();
    // Die of the signal as if we had never listened, unless the program handles it itself.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const handleSignals = options.handleSignals ?? true;
  process.on("beforeExit", onBeforeExit);
  if (handleSignals) for (const s of SIGNALS) process.on(s, onSignal);
  function removeHooks(): void {
    process.off("beforeExit", onBeforeExit);
    for (const s of SIGNALS) process.off(s, onSignal);
  }

  return {
    layer,
    tracer,
    tracerProvider,
    meterProvider: metrics.meterProvider,
    resource,
    prometheusUrl: metrics.prometheusUrl,
    endpoint,
    stats: () => counter.snapshot(),
    forceFlush: flush,
    shutdown,
  };
}

function makeResource(options: OpenTelemetryOptions, env: Env): Resource {
  const attrs: Attributes = { ...options.resourceAttributes, ...resourceAttributesFromEnv(env) };
  const name = envString(env, "OTEL_SERVICE_NAME") ?? options.serviceName;
  if (name !== undefined) attrs[ATTR_SERVICE_NAME] = name;
  if (options.serviceVersion !== undefined && attrs[ATTR_SERVICE_VERSION] === undefined)
    attrs[ATTR_SERVICE_VERSION] = options.serviceVersion;
  return defaultResource().merge(resourceFromAttributes(attrs));
}

function makeExporter(
  options: OpenTelemetryOptions,
  env: Env,
  concurrencyLimit: number,
): { exporter: SpanExporter; endpoint: string } {
  if (options.exporter !== undefined)
    return { exporter: options.exporter, endpoint: "custom exporter" };
  if (envBool(env, "OTEL_SDK_DISABLED")) return { exporter: DISCARD, endpoint: "disabled" };
  const protocol = options.protocol ?? protocolFromEnv(env);
  const specific = envString(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = envString(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  const timeoutMillis =
    envNumber(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") ??
    envNumber(env, "OTEL_EXPORTER_OTLP_TIMEOUT") ??
    10000;
  if (protocol === "grpc") {
    const url = options.endpoint ?? specific ?? base ?? "http://localhost:4317";
    return {
      exporter: new OTLPGrpcTraceExporter({ url, timeoutMillis, concurrencyLimit }),
      endpoint: url,
    };
  }
  const url =
    options.endpoint ??
    specific ??
    `${(base ?? "http://localhost:4318").replace(/\/+$/, "")}/v1/traces`;
  return {
    exporter: new OTLPProtoTraceExporter({ url, timeoutMillis, concurrencyLimit }),
    endpoint: url,
  };
}

/** OTEL_SDK_DISABLED=true: nothing is sampled, and nothing would be sent anyway. */
const DISCARD: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};
