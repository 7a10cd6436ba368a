// The OpenTelemetry layer: each span this layer sees becomes one OpenTelemetry span (parents,
// links, attributes, events, status, busy/idle time), as tokio's tracing-opentelemetry does.
import {
  type Attributes,
  context,
  type Context as OtelContext,
  type Span as OtelSpan,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import {
  type Clock,
  currentSpan,
  type EventRecord,
  type Fields,
  type FieldValue,
  Level,
  levelName,
  now,
  type SpanAttributes,
} from "@periscope/tracing";
import type { Context, Layer } from "@periscope/tracing-subscriber";
import {
  ERROR,
  isSpecial,
  OTEL_KIND,
  OTEL_NAME,
  OTEL_STATUS_CODE,
  OTEL_STATUS_DESCRIPTION,
  OTEL_STATUS_MESSAGE,
  toAttribute,
} from "./attributes.ts";
import { exportedState, resolveActive, SpanState, STATE } from "./context.ts";
import { errorMessage, isError } from "./errors.ts";
import {
  type CodeAttributes,
  codeAttributes,
  errorFieldAttributes,
  spanExceptionAttributes,
  threadAttributes,
} from "./mapping.ts";
import { runtimeRole } from "./runtime-spans.ts";
import { Timings, toHrTime } from "./timing.ts";

export interface OpenTelemetryLayerOptions {
  /** The tracer spans are made with, e.g. `tracerProvider.getTracer("mini-redis")`. */
  tracer: Tracer;
  /**
   * Span start and end times, and busy/idle time; default the clock every event is stamped
   * with (`now` from @periscope/tracing: monotonic, anchored once to wall time).
   */
  clock?: Clock;
  /** Add the callsite's `code.*` attributes to spans and events. Default true, as upstream. */
  location?: boolean;
  /** Which `code.*` names: "legacy" (default, as upstream), "stable" or "both". */
  codeAttributes?: CodeAttributes;
  /** Add `thread.id` and `thread.name` to spans. Default true, as upstream. */
  threads?: boolean;
  /** Add `busy_ns` and `idle_ns` to spans. Default true, as upstream's tracked inactivity. */
  trackInactivity?: boolean;
  /** Add `target` and `level` attributes to spans. Default false, as upstream (events always have them). */
  targetAndLevel?: boolean;
  /** An ERROR event, or an `error` field without a message, sets the span's status to error. Default true. */
  errorEventsSetStatus?: boolean;
  /** An event's non-Error `error` field without a message makes an "exception" event. Default true. */
  errorEventsToExceptions?: boolean;
  /** An Error-valued field adds `exception.*` to the event (or span) holding it. Default true. */
  errorFieldsToExceptions?: boolean;
  /** An event's Error-valued field also puts `exception.*` on its span. Default true. */
  errorRecordsToExceptions?: boolean;
  /**
   * Events outside any of our spans go to the active OpenTelemetry span (e.g. the server span
   * of the HTTP auto-instrumentation). Default true; upstream drops them.
   */
  orphanEventsToActiveSpan?: boolean;
  /**
   * End a span at its last exit rather than when it closes, as upstream does. Default false:
   * an async function's span is exited at its first `await` (the span stays current through
   * AsyncLocalStorage, not by being re-entered), so its last exit is not its end.
   */
  endOnExit?: boolean;
  /**
   * Export @periscope/runtime's internals (runtime.spawn, runtime.resource and async-op spans,
   * waker and state-update events) as they are. Default false: they are not exported, and what
   * runs in a spawned task stays in the trace of the code that spawned it.
   */
  runtimeSpans?: boolean;
}

const KINDS: Record<string, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

export class OpenTelemetryLayer implements Layer {
  readonly #tracer: Tracer;
  readonly #clock: Clock;
  readonly #location: boolean;
  readonly #code: CodeAttributes;
  readonly #threads: boolean;
  readonly #inactivity: boolean;
  readonly #targetAndLevel: boolean;
  readonly #errorStatus: boolean;
  readonly #errorExceptions: boolean;
  readonly #fieldExceptions: boolean;
  readonly #recordExceptions: boolean;
  readonly #orphans: boolean;
  readonly #endOnExit: boolean;
  // Present only when busy/idle time or endOnExit needs them: the registry calls a layer only
  // for the hooks it has, and enter/exit are the hottest notifications.
  onEnter?: Layer["onEnter"];
  onExit?: Layer["onExit"];
  readonly #runtime: boolean;

  constructor(options: OpenTelemetryLayerOptions) {
    this.#tracer = options.tracer;
    this.#clock = options.clock ?? now;
    this.#location = options.location ?? true;
    this.#code = options.codeAttributes ?? "legacy";
    this.#threads = options.threads ?? true;
    this.#inactivity = options.trackInactivity ?? true;
    this.#targetAndLevel = options.targetAndLevel ?? false;
    this.#errorStatus = options.errorEventsSetStatus ?? true;
    this.#errorExceptions = options.errorEventsToExceptions ?? true;
    this.#fieldExceptions = options.errorFieldsToExceptions ?? true;
    this.#recordExceptions = options.errorRecordsToExceptions ?? true;
    this.#orphans = options.orphanEventsToActiveSpan ?? true;
    this.#endOnExit = options.endOnExit ?? false;
    if (this.#inactivity) {
      this.onEnter = (id, ctx) => {
        const st = ctx.span(id)?.extensions.get(STATE) as SpanState | undefined;
        st?.timings?.enter(this.#clock());
      };
    }
    if (this.#inactivity || this.#endOnExit) {
      this.onExit = (id, ctx) => {
        const st = ctx.span(id)?.extensions.get(STATE) as SpanState | undefined;
        if (st === undefined) return;
        const t = this.#clock();
        st.timings?.exit(t);
        st.lastExit = t;
      };
    }
    this.#runtime = options.runtimeSpans ?? false;
  }

  onNewSpan(attrs: SpanAttributes & { readonly id: bigint }, ctx: Context): void {
    const ref = ctx.span(attrs.id);
    if (ref === undefined) return;
    const t = this.#clock();
    const meta = attrs.metadata;
    if (!this.#runtime) {
      const role = runtimeRole(meta);
      if (role === 2) return;
      if (role === 1) {
        // See-through: the task's spans get the spawner's context (tokio makes task spans roots,
        // which would start a trace of their own).
        const parent = trace.getSpan(resolveActive(context.active()));
        if (parent === undefined) return;
        const st = new SpanState(parent);
        st.borrowed = true;
        ref.extensions.set(STATE, st);
        return;
      }
    }
    const fields = attrs.fields;
    const attributes: Attributes = {};
    if (this.#location) codeAttributes(meta, this.#code, attributes);
    if (this.#threads) threadAttributes(attributes);
    if (this.#targetAndLevel) {
      attributes.target = meta.target;
      attributes.level = levelName(meta.level);
    }
    let special = false;
    for (const k in fields) {
      if (isSpecial(k)) special = true;
      else this.#spanField(k, fields[k], attributes);
    }
    const otelName = fields[OTEL_NAME];
    const kindField = fields[OTEL_KIND];
    const kind = typeof kindField === "string" ? KINDS[kindField.toLowerCase()] : undefined;
    const span = this.#tracer.startSpan(
      typeof otelName === "string" ? otelName : meta.name,
      { kind: kind ?? SpanKind.INTERNAL, attributes, startTime: toHrTime(t) },
      this.#parentContext(attrs.parent, ctx),
    );
    const st = new SpanState(span);
    if (this.#inactivity) st.timings = new Timings(t);
    ref.extensions.set(STATE, st);
    if (special) this.#applySpecial(st, fields);
  }

  /** An ordinary span field: its attribute, or for an Error upstream's `record_error` set. */
  #spanField(k: string, v: FieldValue, into: Attributes): void {
    if (isError(v)) {
      errorFieldAttributes(k, v, this.#fieldExceptions, into);
      return;
    }
    const a = toAttribute(v);
    if (a !== undefined) into[k] = a;
  }

  /**
   * The parent: our current span or an OpenTelemetry span opened inside it (whichever is
   * innermost); an explicit parent of ours; or, for our root spans, OpenTelemetry's active
   * context (an auto-instrumented server span, a remote parent extracted from headers).
   */
  #parentContext(parent: bigint | undefined, ctx: Context): OtelContext {
    const cur = currentSpan();
    const curIsOurs = cur.id !== undefined && cur.subscriber === (ctx as unknown);
    if (parent === undefined) return curIsOurs ? ROOT_CONTEXT : context.active();
    if (curIsOurs && cur.id === parent) return resolveActive(context.active());
    const st = exportedState(ctx.span(parent));
    return st === undefined ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, st.otel);
  }

  onRecord(id: bigint, values: Fields, ctx: Context): void {
    const st = ctx.span(id)?.extensions.get(STATE) as SpanState | undefined;
    if (st === undefined || st.borrowed || !st.otel.isRecording()) return;
    const attributes: Attributes = {};
    let special = false;
    for (const k in values) {
      if (isSpecial(k)) special = true;
      else this.#spanField(k, values[k], attributes);
    }
    st.otel.setAttributes(attributes);
    if (special) this.#applySpecial(st, values);
  }

  onFollowsFrom(id: bigint, follows: bigint, ctx: Context): void {
    const st = ctx.span(id)?.extensions.get(STATE) as SpanState | undefined;
    const other = exportedState(ctx.span(follows));
    if (st === undefined || st.borrowed || other === undefined) return;
    st.otel.addLink({ context: other.otel.spanContext() });
  }

  onEvent(event: EventRecord, ctx: Context): void {
    if (!this.#runtime && runtimeRole(event.metadata) === 2) return;
    let st: SpanState | undefined;
    let target: OtelSpan | undefined;
    if (event.parent !== undefined) {
      st = exportedState(ctx.span(event.parent));
      target = st?.otel;
    } else if (this.#orphans) {
      target = trace.getSpan(context.active());
    }
    if (target === undefined || !target.isRecording()) return;
    const meta = event.metadata;
    // As upstream: every event says its level and target, then its fields, then where it is.
    const attributes: Attributes = { level: levelName(meta.level), target: meta.target };
    let name = event.message;
    let errorText: string | undefined;
    let spanException: Error | undefined;
    const fields = event.fields;
    for (const k in fields) {
      const v = fields[k];
      if (isError(v)) {
        errorFieldAttributes(k, v, this.#fieldExceptions, attributes);
        spanException ??= v;
        if (k === ERROR) errorText ??= errorMessage(v);
      } else if (k === ERROR && name === undefined && v !== undefined && v !== null) {
        // Upstream: an `error` that is not an Error value, in an event with no message, is
        // an exception event and marks the span failed.
        const text = typeof v === "string" ? v : String(toAttribute(v));
        if (this.#errorStatus && st !== undefined)
          st.status = { code: SpanStatusCode.ERROR, message: text };
        if (this.#errorExceptions) {
          name = "exception";
          attributes["exception.message"] = text;
        } else {
          attributes.error = text;
        }
      } else {
        const a = toAttribute(v);
        if (a !== undefined) attributes[k] = a;
      }
    }
    if (this.#location) codeAttributes(meta, this.#code, attributes);
    target.addEvent(
      name ?? (spanException !== undefined ? "exception" : meta.name),
      attributes,
      toHrTime(event.timestamp),
    );
    if (st === undefined || st.borrowed) return;
    if (spanException !== undefined && this.#recordExceptions)
      st.otel.setAttributes(spanExceptionAttributes(spanException));
    if (this.#errorStatus && meta.level === Level.ERROR && st.status === undefined) {
      st.status = {
        code: SpanStatusCode.ERROR,
        message: errorText ?? event.message ?? "",
      };
    }
  }

  onClose(id: bigint, ctx: Context): void {
    const ref = ctx.span(id);
    const st = ref?.extensions.get(STATE) as SpanState | undefined;
    if (st === undefined) return;
    if (st.borrowed) {
      ref?.extensions.delete(STATE);
      return;
    }
    ref?.extensions.delete(STATE);
    const t = this.#clock();
    const span = st.otel;
    if (st.timings !== undefined) {
      const { busyNs, idleNs } = st.timings.close(t);
      span.setAttributes({ busy_ns: busyNs, idle_ns: idleNs });
    }
    if (st.status !== undefined) span.setStatus(st.status);
    span.end(toHrTime(this.#endOnExit && st.lastExit !== undefined ? st.lastExit : t));
  }

  /**
   * `otel.name`, `otel.kind`, `otel.status_code`, `otel.status_description` (and our alias
   * `otel.status_message`) and an `error` field, given or recorded later: the last one wins.
   */
  #applySpecial(st: SpanState, values: Fields): void {
    const span = st.otel;
    for (const k in values) {
      const v = values[k];
      if (v === undefined) continue;
      switch (k) {
        case OTEL_NAME:
          if (typeof v === "string") span.updateName(v);
          break;
        case OTEL_KIND:
          setKind(span, v);
          break;
        case OTEL_STATUS_CODE:
          st.status = statusFor(v);
          break;
        case OTEL_STATUS_DESCRIPTION:
        case OTEL_STATUS_MESSAGE:
          st.status = { code: SpanStatusCode.ERROR, message: String(toAttribute(v) ?? "") };
          break;
        case ERROR:
          this.#errorField(st, v);
          break;
      }
    }
  }

  /**
   * A span's `error` field: upstream's attributes, and (our addition) an error status unless a
   * status was given, since JavaScript code records failures on spans where Rust returns them.
   */
  #errorField(st: SpanState, v: FieldValue): void {
    if (v === null || v === false) return;
    const attributes: Attributes = {};
    if (isError(v)) errorFieldAttributes(ERROR, v, this.#fieldExceptions, attributes);
    else {
      const a = toAttribute(v);
      if (a !== undefined) attributes[ERROR] = a;
    }
    st.otel.setAttributes(attributes);
    if (st.status === undefined)
      st.status = {
        code: SpanStatusCode.ERROR,
        message: isError(v) ? errorMessage(v) : typeof v === "string" ? v : "error",
      };
  }
}

/** A new layer exporting to `options.tracer`. */
export function openTelemetryLayer(options: OpenTelemetryLayerOptions): OpenTelemetryLayer {
  return new OpenTelemetryLayer(options);
}

/** As upstream: "ok" and "error" (any case) set a status, anything else unsets it. */
function statusFor(v: FieldValue): { code: SpanStatusCode; message?: string } | undefined {
  const s = typeof v === "number" ? (["unset", "ok", "error"][v] ?? "") : String(v).toLowerCase();
  if (s === "ok") return { code: SpanStatusCode.OK };
  if (s === "error") return { code: SpanStatusCode.ERROR, message: "" };
  return undefined;
}

/**
 * `otel.kind` recorded after the span started. The API has no setter (the sampler saw the
 * first kind); the SDK's span keeps it in a plain `kind` property that its exporters read.
 */
function setKind(span: OtelSpan, v: FieldValue): void {
  const kind = typeof v === "string" ? KINDS[v.toLowerCase()] : undefined;
  if (kind === undefined || !("kind" in span)) return;
  try {
    (span as unknown as { kind: SpanKind }).kind = kind;
  } catch {
    // A frozen or foreign span keeps its first kind.
  }
}
