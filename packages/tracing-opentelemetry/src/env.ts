// The standard OTEL_* environment variables, read from an injectable env so tests need no globals.
// Exporter endpoints, headers and timeouts are read by the official exporters themselves.
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";

export type Env = Readonly<Record<string, string | undefined>>;

export type OtlpProtocol = "http/protobuf" | "grpc";

/** Errors users can hit carry a stable code and say what to do. */
export class OtelConfigError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "OtelConfigError";
    this.code = code;
  }
}

function text(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

export function envBool(env: Env, name: string): boolean {
  return text(env, name)?.toLowerCase() === "true";
}

export function envNumber(env: Env, name: string): number | undefined {
  const v = text(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new OtelConfigError(
      "PERISCOPE_OTEL_BAD_NUMBER",
      `${name}=${JSON.stringify(v)} is not a non-negative number; fix or unset it.`,
    );
  }
  return n;
}

export function envString(env: Env, name: string): string | undefined {
  return text(env, name);
}

/** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
export function protocolFromEnv(env: Env): OtlpProtocol {
  const v =
    text(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? text(env, "OTEL_EXPORTER_OTLP_PROTOCOL");
  if (v === undefined || v === "http/protobuf") return "http/protobuf";
  if (v === "grpc") return "grpc";
  throw new OtelConfigError(
    "PERISCOPE_OTEL_PROTOCOL",
    `OTLP protocol ${JSON.stringify(v)} is not supported; use "http/protobuf" (default) or "grpc".`,
  );
}

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, as the specification lists them. */
export function samplerFromEnv(env: Env): Sampler {
  const name = text(env, "OTEL_TRACES_SAMPLER")?.toLowerCase() ?? "parentbased_always_on";
  const ratio = (): number => {
    const arg = text(env, "OTEL_TRACES_SAMPLER_ARG");
    if (arg === undefined) return 1;
    const r = Number(arg);
    if (!Number.isFinite(r) || r < 0 || r > 1) {
      throw new OtelConfigError(
        "PERISCOPE_OTEL_SAMPLER_ARG",
        `OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(arg)} must be a ratio between 0 and 1.`,
      );
    }
    return r;
  };
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio());
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new OtelConfigError(
        "PERISCOPE_OTEL_SAMPLER",
        `OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not supported; use always_on, always_off, traceidratio or their parentbased_ forms.`,
      );
  }
}

/** OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value pairs, values percent-encoded. */
export function resourceAttributesFromEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = text(env, "OTEL_RESOURCE_ATTRIBUTES");
  if (raw === undefined) return out;
  for (const pair of raw.split(",")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // The specification says to discard a malformed pair rather than guess.
      continue;
    }
    if (key !== "") out[key] = value;
  }
  return out;
}

export interface BatchConfig {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

/** OTEL_BSP_*: the batch span processor's queue, batch size, delay and export timeout. */
export function batchFromEnv(env: Env): BatchConfig {
  const maxQueueSize = envNumber(env, "OTEL_BSP_MAX_QUEUE_SIZE") ?? 2048;
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(
      envNumber(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE") ?? 512,
      maxQueueSize,
    ),
    scheduledDelayMillis: envNumber(env, "OTEL_BSP_SCHEDULE_DELAY") ?? 5000,
    exportTimeoutMillis: envNumber(env, "OTEL_BSP_EXPORT_TIMEOUT") ?? 30000,
  };
}
