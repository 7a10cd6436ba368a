// A MeterProvider wired to the official exporters: Prometheus text at /metrics on a loopback
// server that never keeps the process alive, and/or OTLP push beside the traces.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { type Env, envNumber, envString } from "./env.ts";

export interface PrometheusOptions {
  /** Default OTEL_EXPORTER_PROMETHEUS_PORT, else 9464; 0 picks a free port. */
  port?: number;
  /** Default OTEL_EXPORTER_PROMETHEUS_HOST, else 127.0.0.1. */
  host?: string;
  /** Default "/metrics". */
  path?: string;
}

export interface MetricsOptions {
  /** service.name when no resource is given; OTEL_SERVICE_NAME wins over it when set. */
  serviceName?: string;
  /** The resource metrics carry; initOpenTelemetry passes the traces' one. */
  resource?: Resource;
  /** Serve Prometheus text exposition over HTTP. */
  prometheus?: boolean | PrometheusOptions;
  /** Push metrics over OTLP/HTTP protobuf (endpoint from OTEL_EXPORTER_OTLP_*). */
  otlp?: boolean | { intervalMillis?: number };
  /** More readers, e.g. an InMemoryMetricExporter behind a PeriodicExportingMetricReader. */
  readers?: IMetricReader[];
  env?: Env;
}

export interface Metrics {
  readonly meterProvider: MeterProvider;
  /** The Prometheus URL once listening; undefined without Prometheus or when it failed to bind. */
  readonly prometheusUrl: Promise<string | undefined>;
  shutdown(): Promise<void>;
}

/** A MeterProvider with the readers asked for; get meters with `meterProvider.getMeter(name)`. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const env = options.env ?? process.env;
  const readers: IMetricReader[] = [...(options.readers ?? [])];
  let server: Server | undefined;
  let prometheusUrl: Promise<string | undefined> = Promise.resolve(undefined);
  if (options.prometheus) {
    const p = options.prometheus === true ? {} : options.prometheus;
    const exporter = new PrometheusExporter({ preventServerStart: true });
    readers.push(exporter);
    const path = p.path ?? "/metrics";
    server = createServer((req, res) => {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      if (req.method === "GET" && (q < 0 ? url : url.slice(0, q)) === path) {
        exporter.getMetricsRequestHandler(req, res);
        return;
      }
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end(`not found; metrics are at ${path}\n`);
    });
    // Neither the server nor a scraper's keep-alive connection may keep the process alive.
    server.on("connection", (socket) => socket.unref());
    const s = server;
    prometheusUrl = listen(
      s,
      p.port ?? envNumber(env, "OTEL_EXPORTER_PROMETHEUS_PORT") ?? 9464,
      p.host ?? envString(env, "OTEL_EXPORTER_PROMETHEUS_HOST") ?? "127.0.0.1",
      path,
    );
  }
  if (options.otlp) {
    const o = options.otlp === true ? {} : options.otlp;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis:
          o.intervalMillis ?? envNumber(env, "OTEL_METRIC_EXPORT_INTERVAL") ?? 60000,
      }),
    );
  }
  const name = envString(env, "OTEL_SERVICE_NAME") ?? options.serviceName;
  const resource =
    options.resource ??
    (name === undefined
      ? undefined
      : defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: name })));
  const meterProvider = new MeterProvider({ ...(resource ? { resource } : {}), readers });
  return {
    meterProvider,
    prometheusUrl,
    async shutdown(): Promise<void> {
      server?.close();
      server?.closeAllConnections();
      await meterProvider.shutdown().catch(() => undefined);
    },
  };
}

function listen(
  server: Server,
  port: number,
  host: string,
  path: string,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      process.emitWarning(
        `cannot serve Prometheus metrics on ${host}:${port} (${e.code ?? e.message}); choose another port with OTEL_EXPORTER_PROMETHEUS_PORT`,
        { code: "PERISCOPE_OTEL_METRICS_LISTEN" },
      );
      resolve(undefined);
    });
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      const h = a.family === "IPv6" ? `[${a.address}]` : a.address;
      resolve(`http://${h}:${a.port}${path}`);
    });
    // A metrics endpoint is no reason for the process to stay alive.
    server.unref();
  });
}
