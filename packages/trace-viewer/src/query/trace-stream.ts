// Streams traces out of the store as Jaeger v1 JSON or OTLP/JSON (v3), span by span, within a
// span budget: a 200,000-span trace is never held whole, and a capped trace says so in Jaeger's
// `warnings`. Unless `raw=true`, Jaeger's adjusters run (v1): exact duplicate spans (a sender
// retrying a batch) are dropped, clock skew is corrected or warned about (clock-skew.ts, from a
// pass over the trace's ids and times first), and tags and log fields are sorted.
import type { StoredSpan } from "../model.ts";
import type { StoreReader } from "../store/read.ts";

/** How answers are shaped: `raw=true` skips Jaeger's adjusters, `prettyPrint=true` indents. */
export interface Shape {
  raw: boolean;
  pretty: boolean;
  /** The clock-skew adjuster's largest move (µs); 0 leaves times alone and only warns. */
  maxSkewUs?: number;
}

// Pieces are plain JSON; chunked() escapes each chunk once (cheaper than once per span).
const text = (v: unknown, shape: Shape) => JSON.stringify(v, null, shape.pretty ? 2 : undefined);

import { TraceAdjustments } from "./clock-skew.ts";
import {
  JaegerProcesses,
  type JaegerSpan,
  jaegerTraceId,
  sortProcessTags,
  sortTags,
  toJaegerSpan,
} from "./jaeger-json.ts";
import { toOtlpSpan } from "./otlp-json.ts";

/** Applies the clock-skew adjuster's move and warnings to a rendered span. */
function adjustSpan(span: JaegerSpan, deltaUs: number, warning: string | undefined): void {
  if (deltaUs !== 0) {
    span.startTime += deltaUs;
    for (const l of span.logs) l.timestamp += deltaUs;
  }
  if (warning) span.warnings = [...(span.warnings ?? []), warning];
}

/** Spans still allowed in the answer; every streamed span takes one. */
export interface SpanBudget {
  left: number;
}

/**
 * Spans of one trace, deduplicated, at most `max`, each with its position among the trace's
 * stored spans (what the clock-skew pass counts); returns how many were sent and if capped.
 */
function* spansOf(
  reader: StoreReader,
  traceId: Buffer,
  max: number,
  shape: Shape,
  adjust: TraceAdjustments | null = null,
): Generator<{ s: StoredSpan; at: number }, { sent: number; capped: boolean }> {
  const it = reader.traceSpans(traceId, max);
  const seen = new Set<string>();
  let sent = 0;
  for (let at = 0; ; at++) {
    const r = it.next();
    if (r.done) return { sent, capped: r.value };
    const s = r.value;
    if (adjust && !adjust.matches(at, s.spanId)) adjust = null;
    if (adjust) {
      if (adjust.drop[at]) continue;
    } else if (!shape.raw) {
      const key = `${s.spanId}|${s.resourceId}|${s.startUs}|${s.durationUs}|${s.body.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    sent++;
    yield { s, at };
  }
}

const cappedWarning = (sent: number) =>
  `PERISCOPE_VIEWER_TRUNCATED: this answer holds the first ${sent} spans of the trace (the per-answer cap); open the trace alone, or raise --query-max-spans, to see all`;

/** One trace as Jaeger's UI model, streamed; `perTrace` caps its spans (at least one is sent). */
export function* jaegerTrace(
  reader: StoreReader,
  traceId: Buffer,
  perTrace: number,
  budget: SpanBudget,
  shape: Shape,
): Generator<string> {
  const max = Math.max(1, Math.min(perTrace, budget.left));
  const traceID = jaegerTraceId(traceId.toString("hex"));
  const procs = new JaegerProcesses();
  yield `{"traceID":${text(traceID, shape)},"spans":[`;
  // Duplicates and clock skew need the whole span tree first: one pass over ids and times.
  let adjust = shape.raw
    ? null
    : TraceAdjustments.of(reader.traceTree(traceId, max), shape.maxSkewUs ?? 0);
  const it = spansOf(reader, traceId, max, shape, adjust);
  let first = true;
  for (;;) {
    const r = it.next();
    if (r.done) {
      budget.left -= r.value.sent;
      const warnings = r.value.capped ? [cappedWarning(r.value.sent)] : null;
      const processes = shape.raw ? procs.processes : sortProcessTags(procs.processes);
      yield `],"processes":${text(processes, shape)},"warnings":${text(warnings, shape)}}`;
      return;
    }
    const { s, at } = r.value;
    if (adjust && !adjust.matches(at, s.spanId)) adjust = null;
    const span = toJaegerSpan(s, traceID, procs.pidFor(s));
    if (adjust) adjustSpan(span, adjust.deltaUs(at), adjust.warning(at));
    yield (first ? "" : ",") + text(shape.raw ? span : sortTags(span), shape);
    first = false;
  }
}

/**
 * Traces as the elements of an OTLP `resourceSpans` array: one element per run of spans that
 * share resource and scope (OTLP allows a resource to repeat), so nothing is regrouped in memory.
 */
export function* otlpResourceSpans(
  reader: StoreReader,
  traceIds: Buffer[],
  perTrace: number,
  budget: SpanBudget,
  shape: Shape,
): Generator<string> {
  const jsonText = (v: unknown) => text(v, shape);
  let open = false;
  let resourceId = -1;
  let scopeId = -1;
  let firstElement = true;
  for (const id of traceIds) {
    const it = spansOf(reader, id, Math.max(1, Math.min(perTrace, budget.left)), shape);
    for (;;) {
      const r = it.next();
      if (r.done) {
        budget.left -= r.value.sent;
        break;
      }
      const { s } = r.value;
      if (open && s.resourceId === resourceId && s.scopeId === scopeId) {
        yield `,${jsonText(toOtlpSpan(s))}`;
        continue;
      }
      if (open) yield "]}]}";
      yield `${firstElement ? "" : ","}{"resource":${jsonText(s.resource)},"scopeSpans":[{"scope":${jsonText(s.scope)},"spans":[${jsonText(toOtlpSpan(s))}`;
      open = true;
      firstElement = false;
      resourceId = s.resourceId;
      scopeId = s.scopeId;
    }
  }
  if (open) yield "]}]}";
}
