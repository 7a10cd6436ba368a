// W3C Trace Context across process boundaries: write `traceparent`/`tracestate` for the current
// span into outgoing headers, and read them from incoming ones into a parent for our spans.
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Context as OtelContext,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { Span } from "@periscope/tracing";
import { otelContext } from "./context.ts";

const w3c = new W3CTraceContextPropagator();

/**
 * Writes `traceparent` (and `tracestate`) for `span`, or for the innermost current span, into
 * `carrier` (plain headers object by default) and returns the carrier. Writes nothing when no
 * exported span is current.
 */
export function injectTraceContext<C = Record<string, string>>(
  carrier: C,
  span?: Span,
  setter: TextMapSetter<C> = defaultTextMapSetter as TextMapSetter<C>,
): C {
  try {
    w3c.inject(otelContext(span), carrier, setter);
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
    return w3c.extract(ROOT_CONTEXT, carrier, getter);
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
