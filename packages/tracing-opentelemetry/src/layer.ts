// The OpenTelemetry layer: each span this layer sees becomes one OpenTelemetry span (parents,
// links, attributes, events, status), as tokio's tracing-opentelemetry does for Rust.
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
  ATTR_CODE_FILE_PATH,
  ATTR_CODE_LINE_NUMBER,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} from "@opentelemetry/semantic-conventions";
import {
  currentSpan,
  type EventRecord,
  type Fields,
  type FieldValue,
  Level,
  levelName,
  type SpanAttributes,
} from "@periscope/tracing";
import type { Context, Layer } from "@periscope/tracing-subscriber";
import {
  ERROR,
  errorText,
  fieldsToAttributes,
  isSpecial,
  OTEL_KIND,
  OTEL_NAME,
  OTEL_STATUS_CODE,
  OTEL_STATUS_DESCRIPTION,
  OTEL_STATUS_MESSAGE,
  toAttribute,
} from "./attributes.ts";
import { exportedState, resolveActive, SpanState, STATE } from "./context.ts";
import { runtimeRole } from "./runtime-spans.ts";

export interface OpenTelemetryLayerOptions {
  /** The tracer spans are made with, e.g. `tracerProvider.getTracer("mini-redis")`. */
  tracer: Tracer;
  /** Add `code.file.path` and `code.line.number` when the callsite knows them. Default true. */
  location?: boolean;
  /** Add `target` and `level` attributes to spans and events. Default true. */
  targetAndLevel?: boolean;
  /** An ERROR-level event inside a span sets the span's status to error. Default true. */
  errorEventsSetStatus?: boolean;
  /**
   * Events outside any of our spans go to the active OpenTelemetry span (e.g. the server span
   * of the HTTP auto-instrumentation). Default true.
   */
  orphanEventsToActiveSpan?: boolean;
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
  readonly #location: boolean;
  readonly #targetAndLevel: boolean;
  readonly #errorEvents: boolean;
  readonly #orphans: boolean;
  readonly #runtime: boolean;

  constructor(options: OpenTelemetryLayerOptions) {
    this.#tracer = options.tracer;
    this.#location = options.location ?? true;
    this.#targetAndLevel = options.targetAndLevel ?? true;
    this.#errorEvents = options.errorEventsSetStatus ?? true;
    this.#orphans = options.orphanEventsToActiveSpan ?? true;
    this.#runtime = options.runtimeSpans ?? false;
  }

  onNewSpan(attrs: SpanAttributes & { readonly id: bigint }, ctx: Context): void {
    const ref = ctx.span(attrs.id);
    if (ref === undefined) return;
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
    if (this.#location && meta.file !== undefined) {
      attributes[ATTR_CODE_FILE_PATH] = meta.file;
      if (meta.line !== undefined) attributes[ATTR_CODE_LINE_NUMBER] = meta.line;
    }
    if (this.#targetAndLevel) {
      attributes.target = meta.target;
      attributes.level = levelName(meta.level);
    }
    fieldsToAttributes(fields, attributes);
    const otelName = fields[OTEL_NAME];
    const kindField = fields[OTEL_KIND];
    const kind = typeof kindField === "string" ? KINDS[kindField.toLowerCase()] : undefined;
    const span = this.#tracer.startSpan(
      typeof otelName === "string" ? otelName : meta.name,
      { kind: kind ?? SpanKind.INTERNAL, attributes },
      this.#parentContext(attrs.parent, ctx),
    );
    const st = new SpanState(span);
    ref.extensions.set(STATE, st);
    if (
      fields[ERROR] !== undefined ||
      fields[OTEL_STATUS_CODE] !== undefined ||
      fields[OTEL_STATUS_MESSAGE] !== undefined ||
      fields[OTEL_STATUS_DESCRIPTION] !== undefined
    )
      applySpecial(st, fields);
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
    let special = false;
    for (const k in values) {
      if (isSpecial(k)) {
        special = true;
        continue;
      }
      const a = toAttribute(values[k]);
      if (a !== undefined) st.otel.setAttribute(k, a);
    }
    if (special) applySpecial(st, values);
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
    const attributes: Attributes = {};
    if (this.#targetAndLevel) {
      attributes.target = meta.target;
      attributes.level = levelName(meta.level);
    }
    if (this.#location && meta.file !== undefined) {
      attributes[ATTR_CODE_FILE_PATH] = meta.file;
      if (meta.line !== undefined) attributes[ATTR_CODE_LINE_NUMBER] = meta.line;
    }
    let name = event.message ?? meta.name;
    const exception = findError(event.fields);
    for (const k in event.fields) {
      const v = event.fields[k];
      if (v === exception) continue;
      const a = toAttribute(v);
      if (a !== undefined) attributes[k] = a;
    }
    if (exception !== undefined) {
      // Semantic conventions: an exception is an event named "exception" with exception.*.
      if (event.message !== undefined) attributes.message = event.message;
      exceptionAttributes(exception, attributes);
      name = "exception";
    }
    target.addEvent(name, attributes);
    if (
      st !== undefined &&
      !st.borrowed &&
      this.#errorEvents &&
      meta.level === Level.ERROR &&
      !st.explicitStatus
    ) {
      st.otel.setStatus({
        code: SpanStatusCode.ERROR,
        message: exception !== undefined ? errorText(exception) : (event.message ?? meta.name),
      });
    }
  }

  onClose(id: bigint, ctx: Context): void {
    const ref = ctx.span(id);
    const st = ref?.extensions.get(STATE) as SpanState | undefined;
    if (st === undefined) return;
    if (!st.borrowed) st.otel.end();
    ref?.extensions.delete(STATE);
  }
}

/** A new layer exporting to `options.tracer`. */
export function openTelemetryLayer(options: OpenTelemetryLayerOptions): OpenTelemetryLayer {
  return new OpenTelemetryLayer(options);
}

/** `otel.name`, `otel.status_code`, `otel.status_message` and `error`, given or recorded later. */
function applySpecial(st: SpanState, values: Fields): void {
  const span = st.otel;
  const name = values[OTEL_NAME];
  if (typeof name === "string") span.updateName(name);
  const code = values[OTEL_STATUS_CODE];
  const message = values[OTEL_STATUS_MESSAGE] ?? values[OTEL_STATUS_DESCRIPTION];
  if (code !== undefined) {
    const c = statusCode(code);
    if (c !== undefined) {
      st.explicitStatus = true;
      span.setStatus(
        c === SpanStatusCode.ERROR && typeof message === "string"
          ? { code: c, message }
          : { code: c },
      );
    }
  }
  const err = values[ERROR];
  if (err !== undefined && err !== null && err !== false) {
    if (err instanceof Error) {
      span.addEvent("exception", exceptionAttributes(err, {}));
    }
    if (!st.explicitStatus) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? errorText(err) : typeof err === "string" ? err : "error",
      });
    }
  }
}

function statusCode(v: FieldValue): SpanStatusCode | undefined {
  if (typeof v === "number") return v === 0 || v === 1 || v === 2 ? v : undefined;
  if (typeof v !== "string") return undefined;
  switch (v.toLowerCase()) {
    case "ok":
      return SpanStatusCode.OK;
    case "error":
      return SpanStatusCode.ERROR;
    case "unset":
      return SpanStatusCode.UNSET;
    default:
      return undefined;
  }
}

/** The field holding an Error: `error` first, then any other. */
function findError(fields: Fields): Error | undefined {
  const e = fields[ERROR];
  if (e instanceof Error) return e;
  for (const k in fields) {
    const v = fields[k];
    if (v instanceof Error) return v;
  }
  return undefined;
}

function exceptionAttributes(e: Error, into: Attributes): Attributes {
  try {
    into[ATTR_EXCEPTION_TYPE] = e.name;
    into[ATTR_EXCEPTION_MESSAGE] = e.message;
    if (typeof e.stack === "string") into[ATTR_EXCEPTION_STACKTRACE] = e.stack;
  } catch {
    // An error with throwing getters still leaves an "exception" event behind.
  }
  return into;
}
