// --otlp traces and --metrics-port metrics for mini-redis (server, CLI and examples); both optional.
// The same wiring is tested in @periscope/tracing-opentelemetry (its mini-redis fixture).
import {
  type Counter,
  createMetrics,
  createNoopMeter,
  type Histogram,
  initOpenTelemetry,
  type Meter,
  type UpDownCounter,
} from "@periscope/tracing-opentelemetry";
import { EnvFilter, type Filter, type Layer } from "@periscope/tracing-subscriber";

export interface TelemetryOptions {
  /** "mini-redis" for the server, "mini-redis-client" for the CLI and examples. */
  serviceName: string;
  /** `--otlp`: export spans over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4318). */
  otlp: boolean;
  /**
   * `--otlp-xray`: as `--otlp`, for AWS X-Ray through a Collector, as tokio's mini-redis sets it
   * up: X-Ray's time-prefixed trace ids and its `X-Amzn-Trace-Id` propagator (unless
   * OTEL_PROPAGATORS says otherwise).
   */
  xray?: boolean;
  /** `--metrics-port`: serve Prometheus text at http://127.0.0.1:PORT/metrics. */
  metricsPort?: number | undefined;
  /** For tests; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface Telemetry {
  /** Pass to setUpLogging({ layers }). */
  layers: (Layer | readonly [Layer, Filter])[];
  /** Undefined when the server exports nothing (and so never loaded OpenTelemetry). */
  meter: Meter | undefined;
  /** Where Prometheus scrapes, once listening (undefined without --metrics-port). */
  metricsUrl: Promise<string | undefined>;
  /** Flushes spans and stops; await it before process.exit(). */
  shutdown(): Promise<void>;
}

export function setUpTelemetry(o: TelemetryOptions): Telemetry {
  const prometheus = o.metricsPort === undefined ? false : { port: o.metricsPort };
  if (o.otlp || o.xray) {
    const env = o.env ?? process.env;
    const otel = initOpenTelemetry({
      serviceName: o.serviceName,
      // X-Ray: its trace ids, and its header unless OTEL_PROPAGATORS names others.
      idGenerator: o.xray ? "xray" : "random",
      env: o.xray ? { ...env, OTEL_PROPAGATORS: env.OTEL_PROPAGATORS ?? "xray" } : env,
      // main-server.ts owns SIGINT/SIGTERM and awaits shutdown() before exiting.
      handleSignals: false,
      metrics: { prometheus },
    });
    // Export mini-redis spans down to DEBUG (command spans), everything else from INFO.
    const filter = EnvFilter.fromEnv({
      env: "PERISCOPE_OTLP_LOG",
      defaultDirective: "mini_redis=debug,info",
      ...(o.env ? { environment: o.env } : {}),
    });
    return {
      layers: [[otel.layer, filter]],
      meter: otel.meterProvider.getMeter("mini-redis"),
      metricsUrl: otel.prometheusUrl,
      shutdown: otel.shutdown,
    };
  }
  if (prometheus) {
    const m = createMetrics({
      serviceName: o.serviceName,
      prometheus,
      ...(o.env ? { env: o.env } : {}),
    });
    return {
      layers: [],
      meter: m.meterProvider.getMeter("mini-redis"),
      metricsUrl: m.prometheusUrl,
      shutdown: m.shutdown,
    };
  }
  return {
    layers: [],
    meter: createNoopMeter(),
    metricsUrl: Promise.resolve(undefined),
    shutdown: async () => {},
  };
}

/** The server's instruments; with no exporter they are no-ops. */
export class ServerMetrics {
  readonly commands: Counter;
  readonly duration: Histogram;
  readonly connections: UpDownCounter;
  readonly pubsub: Counter;

  constructor(meter: Meter) {
    this.commands = meter.createCounter("mini_redis.commands", {
      description: "Commands handled, by command name",
      unit: "{command}",
    });
    this.duration = meter.createHistogram("mini_redis.command.duration", {
      description: "Time to apply a command, from parsed frame to reply written",
      unit: "s",
      advice: {
        explicitBucketBoundaries: [
          0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05, 0.1,
        ],
      },
    });
    this.connections = meter.createUpDownCounter("mini_redis.connections", {
      description: "Open client connections",
      unit: "{connection}",
    });
    this.pubsub = meter.createCounter("mini_redis.pubsub.messages", {
      description: "Pub/sub messages: published, and delivered to subscribers",
      unit: "{message}",
    });
  }

  /**
   * One command done. `name` must come from the server's own command table ("unknown" for the
   * rest): a name taken from the wire would let any client create unbounded metric series.
   */
  command(name: string, seconds: number): void {
    const attrs = { command: name };
    this.commands.add(1, attrs);
    this.duration.record(seconds, attrs);
  }
}
