// OTEL_PROPAGATORS: the propagators the specification names, made from the official packages
// (W3C from @opentelemetry/core, B3 and X-Ray from their own), composed in the order given.
import type { TextMapPropagator } from "@opentelemetry/api";
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import { AWSXRayPropagator } from "@opentelemetry/propagator-aws-xray";
import { B3InjectEncoding, B3Propagator } from "@opentelemetry/propagator-b3";
import { type Env, envString, OtelConfigError } from "./env.ts";

const MAKERS: Record<string, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
  b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
  xray: () => new AWSXRayPropagator(),
};

/** The names OTEL_PROPAGATORS accepts here. */
export const PROPAGATOR_NAMES: readonly string[] = [...Object.keys(MAKERS), "none"];

/**
 * The propagators named in OTEL_PROPAGATORS (default "tracecontext,baggage", as the
 * specification), or undefined for "none". An unknown or unsupported name is an error at
 * init, not a silent loss of trace context.
 */
export function propagatorFromEnv(env: Env): TextMapPropagator | undefined {
  const raw = envString(env, "OTEL_PROPAGATORS") ?? "tracecontext,baggage";
  const names = [...new Set(raw.split(",").map((n) => n.trim().toLowerCase()))].filter(
    (n) => n !== "",
  );
  if (names.includes("none")) return undefined;
  const propagators: TextMapPropagator[] = [];
  for (const name of names) {
    const make = MAKERS[name];
    if (make === undefined) {
      const why =
        name === "jaeger"
          ? " (the official @opentelemetry/propagator-jaeger supports only @opentelemetry/api below 1.10, which this package uses; Jaeger reads tracecontext, so use that)"
          : "";
      throw new OtelConfigError(
        "PERISCOPE_OTEL_PROPAGATOR",
        `OTEL_PROPAGATORS names ${JSON.stringify(name)}, which is not supported${why}; use a comma-separated list of ${PROPAGATOR_NAMES.join(", ")}.`,
      );
    }
    propagators.push(make());
  }
  return new CompositePropagator({ propagators });
}
