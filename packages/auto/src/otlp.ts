// OTLP traces with no code changes: the official HTTP and undici instrumentations for incoming
// and outgoing requests, and our spans in the same traces, runtime internals left out.
import { createRequire, register } from "node:module";
import type { Span } from "@opentelemetry/api";
import type { OpenTelemetry } from "@periscope/tracing-opentelemetry";
import type { EnvFilter, Filter, Layer } from "@periscope/tracing-subscriber";
import type { Env } from "./env.ts";
import { onRoute } from "./requests.ts";

export interface Otlp {
  layer: Layer;
  filter: Filter;
  shutdown(): Promise<void>;
}

// Loaded only when OTLP is asked for (the SDK is most of the start-up cost), and synchronously:
// an entry point a user may require() cannot use top-level await.
const require = createRequire(import.meta.url);

/** Spans from INFO, plus task spans (see-through, so spawned work keeps its trace). */
const DEFAULT_DIRECTIVES = "info,tokio::task=trace";

export function startOtlp(env: Env, runtimeSpans: boolean): Otlp {
  const { initOpenTelemetry } =
    require("@periscope/tracing-opentelemetry") as typeof import("@periscope/tracing-opentelemetry");
  const { EnvFilter: Filter } =
    require("@periscope/tracing-subscriber") as typeof import("@periscope/tracing-subscriber");
  const { registerInstrumentations } =
    require("@opentelemetry/instrumentation") as typeof import("@opentelemetry/instrumentation");
  const { HttpInstrumentation } =
    require("@opentelemetry/instrumentation-http") as typeof import("@opentelemetry/instrumentation-http");
  const { UndiciInstrumentation } =
    require("@opentelemetry/instrumentation-undici") as typeof import("@opentelemetry/instrumentation-undici");
  const otel: OpenTelemetry = initOpenTelemetry({
    env,
    serviceName: serviceNameGuess(),
    layer: { runtimeSpans },
  });
  // ES modules that import node:http are patched through import-in-the-middle's loader hook.
  try {
    register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
  } catch {
    // no loader hooks here (an old Node, or a worker): CommonJS code is still instrumented
  }
  const unregister = registerInstrumentations({
    tracerProvider: otel.tracerProvider,
    instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
  });
  const filter: EnvFilter = Filter.fromEnv({
    env: "PERISCOPE_OTLP_LOG",
    environment: env,
    defaultDirective: runtimeSpans ? "trace" : DEFAULT_DIRECTIVES,
  });
  // instrumentation-http names a server span by its method only; the route a framework matched
  // (see requests.ts) completes it, as the HTTP conventions ask: `GET /users/:id`, http.route.
  const { trace, SpanKind } = require("@opentelemetry/api") as typeof import("@opentelemetry/api");
  onRoute((method, route) => {
    const span = trace.getActiveSpan() as (Span & { kind?: number }) | undefined;
    if (span === undefined || span.kind !== SpanKind.SERVER) return;
    span.updateName(`${method} ${route}`);
    span.setAttribute("http.route", route);
  });
  return {
    layer: otel.layer,
    filter,
    async shutdown() {
      onRoute(undefined);
      unregister();
      await otel.shutdown();
    },
  };
}

/** service.name when OTEL_SERVICE_NAME is unset: the main script's name, as most SDKs guess. */
function serviceNameGuess(): string {
  const main = process.argv[1];
  if (main === undefined) return "node";
  const base = main.split(/[\\/]/).pop() ?? "node";
  return base.replace(/\.(m|c)?[jt]s$/, "") || "node";
}
