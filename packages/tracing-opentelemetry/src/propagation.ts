// Trace context across process boundaries: write headers for the current span into outgoing
// requests and read incoming ones into a parent for our spans, with the propagator
// initOpenTelemetry registered (OTEL_PROPAGATORS), else W3C Trace Context.
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Context as OtelContext,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { Span } from "@periscope/tracing";
import { otelContext } from "./context.ts";

const w3c = new W3CTraceContextPropagator();

/** The registered global propagator; the API's no-op one has no fields. */
function active(): Pick<TextMapPropagator, "inject" | "extract"> {
  return propagation.fields().length > 0 ? propagation : w3c;
}

/**
 * Writes `traceparent` (and `tracestate`; or the headers of the propagator OTEL_PROPAGATORS
 * chose) for `span`, or for the innermost current span, into
 * `carrier` (plain headers object by default) and returns the carrier. Writes nothing when no
 * exported span is current.
 */
export function injectTraceContext<C = Record<string, string>>(
  carrier: C,
  span?: Span,
  setter: TextMapSetter<C> = defaultTextMapSetter as TextMapSetter<C>,
): C {
  try {
    active().inject(otelContext(span), carrier, setter);
  } catch {
    // Propagation is best effort: a frozen or odd carrier must not break the request.
  }
  return carrier;
}

/**
 * Reads `traceparent`/`tracestate` from `carrier` (e.g. `req.headers`). Returns the OpenTelemetry
 * context holding the remote parent (the root context when absent or malformed); run code in it
 * with `withTraceContext` so our root spans inside become children of the remote span.
 */
export function extractTraceContext<C = Record<string, string | string[] | undefined>>(
  carrier: C,
  getter: TextMapGetter<C> = defaultTextMapGetter as TextMapGetter<C>,
): OtelContext {
  try {
    return active().extract(ROOT_CONTEXT, carrier, getter);
  } catch {
    return ROOT_CONTEXT;
  }
}

/** Runs fn with the remote parent found in `carrier` as the active context. */
export function withTraceContext<T, C = Record<string, string | string[] | undefined>>(
  carrier: C,
  fn: () => T,
): T {
  return context.with(extractTraceContext(carrier), fn);
}
