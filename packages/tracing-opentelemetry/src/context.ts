// The bridge between our current span and OpenTelemetry's active context, in both directions:
// whichever of the two was entered last is the innermost, so it is the parent of what comes next.
import {
  context,
  createContextKey,
  type Context as OtelContext,
  type Span as OtelSpan,
  ROOT_CONTEXT,
  type SpanStatus,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { currentSpan, type Span } from "@periscope/tracing";
import type { SpanRef } from "@periscope/tracing-subscriber";
import type { Timings } from "./timing.ts";

/** What the layer keeps for each of our spans it exports, in the registry's extensions. */
export class SpanState {
  readonly otel: OtelSpan;
  /**
   * The status to set when the span ends (undefined: unset). Kept here, not set on the SDK span
   * at once, because upstream's later records replace it and the SDK lets an OK status stick.
   */
  status: SpanStatus | undefined = undefined;
  /** Busy and idle time, when the layer tracks inactivity. */
  timings: Timings | undefined = undefined;
  /** When the span was last exited (the layer's clock), for `endOnExit`. */
  lastExit: number | undefined = undefined;
  /**
   * The span belongs to someone else: a see-through task span stands for the span that was
   * current where the task was spawned, and neither ends nor changes it.
   */
  borrowed = false;
  /** The OpenTelemetry context this span was last combined with, and the result (a cache). */
  base: OtelContext | undefined = undefined;
  derived: OtelContext | undefined = undefined;
  constructor(otel: OtelSpan) {
    this.otel = otel;
  }
}

/** Extension key; Symbol.for so that two copies of this package share spans. */
export const STATE: unique symbol = Symbol.for("periscope.tracing-opentelemetry.state") as never;

/** Marks an OpenTelemetry context with our span that was current when the context was entered. */
const ENTERED_IN = createContextKey("periscope.entered_in");

interface SpanLookup {
  span(id: bigint): SpanRef | undefined;
}

/** The nearest span in `ref`'s scope that the layer exported (a filtered span has none). */
export function exportedState(ref: SpanRef | undefined): SpanState | undefined {
  for (let r = ref; r !== undefined; r = r.parent()) {
    const st = r.extensions.get(STATE) as SpanState | undefined;
    if (st !== undefined) return st;
  }
  return undefined;
}

/** The exported state behind one of our span handles, if the layer saw it. */
export function stateOfHandle(handle: Span): SpanState | undefined {
  const id = handle.id;
  if (id === undefined) return undefined;
  const sub = handle.subscriber as unknown as Partial<SpanLookup> | undefined;
  if (typeof sub?.span !== "function") return undefined;
  return exportedState(sub.span(id));
}

/**
 * Given OpenTelemetry's own active context, the context that is really innermost here: that one,
 * if it was entered inside our current span, or else our current span on top of it.
 */
export function resolveActive(otelCtx: OtelContext): OtelContext {
  const cur = currentSpan();
  if (cur.id === undefined || otelCtx.getValue(ENTERED_IN) === cur) return otelCtx;
  const st = stateOfHandle(cur);
  if (st === undefined) return otelCtx;
  if (st.base === otelCtx) return st.derived as OtelContext;
  if (trace.getSpan(otelCtx) === st.otel) return otelCtx;
  st.base = otelCtx;
  st.derived = trace.setSpan(otelCtx, st.otel);
  return st.derived;
}

/** Tags a context being entered with our current span, so `resolveActive` can order the two. */
function tag(ctx: OtelContext): OtelContext {
  const cur = currentSpan();
  if (cur.id === undefined || ctx.getValue(ENTERED_IN) === cur) return ctx;
  return ctx.setValue(ENTERED_IN, cur);
}

/**
 * AsyncLocalStorageContextManager that also sees our spans: OpenTelemetry instrumentations
 * (HTTP, databases) opened inside one of our spans become its children. Costs one
 * AsyncLocalStorage read per `context.active()`, and nothing more while no span of ours is current.
 */
export class PeriscopeContextManager extends AsyncLocalStorageContextManager {
  override active(): OtelContext {
    return resolveActive(super.active());
  }
  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: OtelContext,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return super.with(tag(ctx), fn, thisArg, ...args);
  }
  override attach(ctx: OtelContext): ReturnType<AsyncLocalStorageContextManager["attach"]> {
    return super.attach(tag(ctx));
  }
}

/**
 * The OpenTelemetry context of one of our spans, for APIs that take a context:
 * `context.with(otelContext(span), fn)`, `propagation.inject(...)`. Without a span, the innermost
 * context here (ours or OpenTelemetry's). A span that was not exported (filtered out) gives its
 * nearest exported ancestor's context, or the root context.
 */
export function otelContext(span?: Span): OtelContext {
  if (span === undefined) return resolveActive(context.active());
  const st = stateOfHandle(span);
  return st === undefined ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, st.otel);
}

/** The OpenTelemetry span exported for one of our spans (the current one by default). */
export function otelSpan(span: Span = currentSpan()): OtelSpan | undefined {
  return stateOfHandle(span)?.otel;
}
