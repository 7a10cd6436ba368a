// Jaeger's query API (/api/*, /api/v3/*) plus Periscope's live tail, answered from a store
// reader. Every answer is JSON, produced lazily (see answer.ts) so large ones stream; every
// failure uses the envelope of its API family.
import { kindName, SPAN_KIND_NAMES } from "../model.ts";
import type { StoreReader, TraceQuery, TraceSummary } from "../store/read.ts";
import { type Answer, chunked, json, type QueryLimits } from "./answer.ts";
import { jaegerTraceId } from "./jaeger-json.ts";
import { handleAggregates } from "./metrics-api.ts";
import {
  parseDuration,
  parseInteger,
  parseRfc3339,
  parseTags,
  parseTraceId,
  QueryParamError,
} from "./params.ts";
import { jaegerTrace, otlpResourceSpans, type Shape, type SpanBudget } from "./trace-stream.ts";

const shape = (ctx: QueryContext): Shape => ctx.shape ?? { raw: false, pretty: false };

export interface QueryContext {
  reader: StoreReader;
  /** Wall clock in ms ("now" for lookbacks). */
  clock: () => number;
  limits: QueryLimits;
  /** Set per request from `raw` and `prettyPrint`. */
  shape?: Shape;
}

const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1500;
const HOUR_US = 3600e6;

const envelope = (data: unknown, total = 0) => ({ data, total, limit: 0, offset: 0, errors: null });

export function jaegerError(code: number, msg: string): Answer {
  return json(code, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] });
}

function v3Error(httpCode: number, message: string): Answer {
  return json(httpCode, { error: { httpCode, message } });
}

/**
 * Paths answered from indexes and the small metadata tables: cheap whatever the store holds, so
 * they may run next to ingest; everything else may read many spans.
 */
export function isCheapQuery(path: string): boolean {
  return (
    path === "/api/services" ||
    path === "/api/operations" ||
    path === "/api/v3/services" ||
    path === "/api/v3/operations" ||
    /^\/api\/services\/[^/]+\/operations$/.test(path)
  );
}

/** Answers an /api request; the caller has checked the method is GET or HEAD. */
export function handleQuery(url: URL, context: QueryContext): Answer {
  const path = url.pathname;
  const v3 = path.startsWith("/api/v3/");
  const q = url.searchParams;
  const shape = {
    raw: q.get("raw") === "true",
    pretty: q.get("prettyPrint") === "true",
    maxSkewUs: context.limits.maxClockSkewAdjustUs,
  };
  const ctx = { ...context, shape };
  try {
    const a = v3 ? handleV3(path, q, ctx) : handleV1(path, q, ctx);
    // Small answers are one piece: indent it whole.
    if (shape.pretty && Array.isArray(a.body) && a.body.length === 1) {
      return json(a.status, JSON.parse(a.body[0] as string), 2);
    }
    return a;
  } catch (e) {
    if (e instanceof QueryParamError) {
      if (v3) return v3Error(400, e.message);
      return jaegerError(400, e.message);
    }
    const msg = "internal error while reading the store; see the viewer's output";
    process.stderr.write(`periscope viewer: ${(e as Error).stack ?? e}\n`);
    if (v3) return v3Error(500, msg);
    return jaegerError(500, msg);
  }
}

function handleV1(path: string, q: URLSearchParams, ctx: QueryContext): Answer {
  const r = ctx.reader;
  if (path === "/api/services") {
    const services = r.services();
    return json(200, envelope(services, services.length));
  }
  let m = /^\/api\/services\/([^/]+)\/operations$/.exec(path);
  if (m) {
    const names = [...new Set(r.operations(decodeURIComponent(m[1]!)).map((o) => o.name))];
    return json(200, envelope(names, names.length));
  }
  if (path === "/api/operations") {
    const service = q.get("service") ?? "";
    const kindParam = q.get("spanKind") ?? "";
    const kind = kindParam ? SPAN_KIND_NAMES.indexOf(kindParam) : undefined;
    if (kind === -1) return jaegerError(400, `unsupported span kind: '${kindParam}'`);
    const ops = r
      .operations(service, kind)
      .map((o) => ({ name: o.name, spanKind: kindName(o.kind) }));
    return json(200, envelope(ops, ops.length));
  }
  if (path === "/api/traces") return searchV1(q, ctx);
  m = /^\/api\/traces\/([^/]+)$/.exec(path);
  if (m) {
    const id = parseTraceId(decodeURIComponent(m[1]!));
    if (!id) return jaegerError(400, "malformed trace id: expected up to 32 hex digits");
    if (!r.hasTrace(id)) return jaegerError(404, "trace not found");
    return jaegerTraces(ctx, [id], ctx.limits.maxSpans, []);
  }
  const aggregates = handleAggregates(path, q, r, ctx.clock());
  if (aggregates) return aggregates;
  if (path === "/api/periscope/tail") return tail(q, ctx);
  return jaegerError(404, "no such API endpoint");
}

/** Jaeger's envelope around streamed traces; `errors` (ids not found) close it. */
function jaegerTraces(
  ctx: QueryContext,
  ids: Buffer[],
  perTrace: number,
  errors: Array<{ code: number; msg: string; traceID: string }>,
): Answer {
  const budget: SpanBudget = { left: ctx.limits.maxSpans };
  function* body(): Generator<string> {
    yield '{"data":[';
    for (const [i, id] of ids.entries()) {
      if (i > 0) yield ",";
      yield* jaegerTrace(ctx.reader, id, perTrace, budget, shape(ctx));
    }
    yield `],"total":0,"limit":0,"offset":0,"errors":${JSON.stringify(errors.length ? errors : null)}}`;
  }
  return { status: 200, body: chunked(body()) };
}

function searchV1(q: URLSearchParams, ctx: QueryContext): Answer {
  const r = ctx.reader;
  const raws = q.getAll("traceID");
  if (raws.length > 0) {
    // Repeats cost nothing: one id asked 300 times is looked up once.
    const unique = [...new Set(raws.map((x) => x.toLowerCase()))];
    if (unique.length > ctx.limits.maxTraceIds) {
      throw new QueryParamError(
        `PERISCOPE_VIEWER_TOO_MANY_IDS: at most ${ctx.limits.maxTraceIds} traceID parameters per request; split the request`,
      );
    }
    const ids: Buffer[] = [];
    const errors = [];
    const seen = new Set<string>();
    for (const raw of unique) {
      const id = parseTraceId(raw);
      const key = id?.toString("hex") ?? "";
      if (id && seen.has(key)) continue;
      seen.add(key);
      if (id && r.hasTrace(id)) ids.push(id);
      else errors.push({ code: 404, msg: "trace not found", traceID: raw });
    }
    return jaegerTraces(ctx, ids, ctx.limits.maxSpans, errors);
  }
  const service = q.get("service") ?? "";
  if (!service) return jaegerError(400, "parameter 'service' is required");
  const endUs = q.get("end") ? parseInteger(q.get("end")!, "end") : ctx.clock() * 1000;
  let startUs: number;
  if (q.get("start")) startUs = parseInteger(q.get("start")!, "start");
  else {
    const lb = q.get("lookback");
    startUs = endUs - (lb && lb !== "custom" ? parseDuration(lb, "lookback") : HOUR_US);
  }
  const query: TraceQuery = {
    service,
    operation: q.get("operation") || undefined,
    tags: parseTags(q),
    startUs,
    endUs,
    limit: parseLimit(q.get("limit"), DEFAULT_LIMIT),
  };
  if (q.get("minDuration"))
    query.minDurationUs = parseDuration(q.get("minDuration")!, "minDuration");
  if (q.get("maxDuration"))
    query.maxDurationUs = parseDuration(q.get("maxDuration")!, "maxDuration");
  return jaegerTraces(ctx, r.findTraceIds(query), ctx.limits.searchSpansPerTrace, []);
}

function parseLimit(raw: string | null, fallback: number): number {
  if (!raw) return fallback;
  const n = parseInteger(raw, "limit");
  return n <= 0 ? fallback : Math.min(n, MAX_LIMIT);
}

function tail(q: URLSearchParams, ctx: QueryContext): Answer {
  const r = ctx.reader;
  // Read the cursor first: spans committed meanwhile are returned again next time, never lost.
  const cursor = r.lastId();
  const since = q.get("since") ? parseInteger(q.get("since")!, "since") : 0;
  const limit = parseLimit(q.get("limit"), 50);
  const ids = r.tracesSince(since, limit, q.get("service") || undefined);
  const data = ids.flatMap((id) => {
    const s = r.summary(id);
    return s
      ? [
          {
            traceID: jaegerTraceId(s.traceId),
            rootServiceName: s.rootServiceName,
            rootOperationName: s.rootOperationName,
            startTime: s.startUs,
            duration: s.endUs - s.startUs,
            spanCount: s.spanCount,
            errorSpanCount: s.errorSpanCount,
            services: s.services.map((x) => x.name),
          },
        ]
      : [];
  });
  return json(200, { cursor: String(cursor), data });
}

function getV3(q: URLSearchParams, canonical: string, deprecated: string): [string, string] {
  const v = q.get(canonical);
  return v ? [v, canonical] : [q.get(deprecated) ?? "", deprecated];
}

function handleV3(path: string, q: URLSearchParams, ctx: QueryContext): Answer {
  const r = ctx.reader;
  if (path === "/api/v3/services") return json(200, { services: r.services() });
  if (path === "/api/v3/operations") {
    const [kindParam] = getV3(q, "spanKind", "span_kind");
    const kind = kindParam ? SPAN_KIND_NAMES.indexOf(kindParam) : undefined;
    if (kind === -1) return v3Error(400, `unsupported span kind: '${kindParam}'`);
    const operations = r
      .operations(q.get("service") ?? "", kind)
      .map((o) => ({ name: o.name, spanKind: kindName(o.kind) || "internal" }));
    return json(200, { operations });
  }
  const m = /^\/api\/v3\/traces\/([^/]+)$/.exec(path);
  if (m) {
    const id = parseTraceId(decodeURIComponent(m[1]!));
    if (!id) return v3Error(400, "malformed parameter trace_id: expected up to 32 hex digits");
    if (!r.hasTrace(id)) return v3Error(404, "No traces found");
    return otlpTraces(ctx, [id], ctx.limits.maxSpans);
  }
  if (path === "/api/v3/traces" || path === "/api/v3/trace-summaries") {
    const ids = r.findTraceIds(parseV3Query(q));
    if (path === "/api/v3/trace-summaries") {
      const summaries = ids.flatMap((id) => {
        const s = r.summary(id);
        return s ? [v3Summary(s)] : [];
      });
      return json(200, { summaries });
    }
    if (ids.length === 0) return v3Error(404, "No traces found");
    return otlpTraces(ctx, ids, ctx.limits.searchSpansPerTrace);
  }
  return v3Error(404, "no such API endpoint");
}

function parseV3Query(q: URLSearchParams): TraceQuery {
  const [min, minName] = getV3(q, "query.startTimeMin", "query.start_time_min");
  const [max, maxName] = getV3(q, "query.startTimeMax", "query.start_time_max");
  if (!min || !max) {
    throw new QueryParamError("query.startTimeMin and query.startTimeMax are required");
  }
  const startUs = parseRfc3339(min, minName);
  const endUs = parseRfc3339(max, maxName);
  if (startUs >= endUs)
    throw new QueryParamError("query.startTimeMin must be before query.startTimeMax");
  let [depth, depthName] = getV3(q, "query.searchDepth", "query.search_depth");
  if (!depth) [depth, depthName] = [q.get("query.num_traces") ?? "", "query.num_traces"];
  const query: TraceQuery = {
    service: getV3(q, "query.serviceName", "query.service_name")[0] || undefined,
    operation: getV3(q, "query.operationName", "query.operation_name")[0] || undefined,
    startUs,
    endUs,
    limit: depth ? Math.min(Math.max(1, parseInteger(depth, depthName)), MAX_LIMIT) : 100,
  };
  const attrs = q.get("query.attributes");
  if (attrs) {
    const p = new URLSearchParams();
    p.set("tags", attrs);
    try {
      query.tags = parseTags(p);
    } catch {
      throw new QueryParamError(
        "malformed parameter query.attributes: expected a JSON object of strings",
      );
    }
  }
  const [dmin, dminName] = getV3(q, "query.durationMin", "query.duration_min");
  if (dmin) query.minDurationUs = parseDuration(dmin, dminName);
  const [dmax, dmaxName] = getV3(q, "query.durationMax", "query.duration_max");
  if (dmax) query.maxDurationUs = parseDuration(dmax, dmaxName);
  return query;
}

function v3Summary(s: TraceSummary) {
  return {
    traceId: s.traceId,
    rootServiceName: s.rootServiceName,
    rootOperationName: s.rootOperationName,
    minStartTimeUnixNano: String(BigInt(s.startUs) * 1000n),
    maxEndTimeUnixNano: String(BigInt(s.endUs) * 1000n),
    spanCount: s.spanCount,
    errorSpanCount: s.errorSpanCount,
    services: s.services,
  };
}

function otlpTraces(ctx: QueryContext, ids: Buffer[], perTrace: number): Answer {
  const budget: SpanBudget = { left: ctx.limits.maxSpans };
  function* body(): Generator<string> {
    yield '{"result":{"resourceSpans":[';
    yield* otlpResourceSpans(ctx.reader, ids, perTrace, budget, shape(ctx));
    yield "]}}";
  }
  return { status: 200, body: chunked(body()) };
}
