// Client of Jaeger's query API as the viewer serves it on the UI's own origin, plus the traces a
// user uploaded from a JSON file (kept in the browser, looked up before the server).
import type { Envelope, KeyValue, Log, Reference, Span, Trace } from "./jaeger.ts";
import { isOtlpJson, otlpToJaeger } from "./otlp-json.ts";
import type { TraceSummary } from "./summary.ts";
import { getUpload, type UploadInfo } from "./uploads.ts";

export class ApiFailure extends Error {}

async function get<T>(path: string, signal?: AbortSignal, notFound?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { signal, headers: { accept: "application/json" } });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiFailure("The viewer did not answer; is `periscope viewer` still running?");
  }
  let body: Envelope<T> | null = null;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    // Fall through: reported with the status below.
  }
  if (res.status === 404 && notFound) throw new ApiFailure(notFound);
  const msg = body?.errors?.map((e) => e.msg).join("; ");
  if (!res.ok || msg) {
    throw new ApiFailure(msg || `The viewer answered ${res.status} ${res.statusText}`);
  }
  if (!body) throw new ApiFailure("The viewer answered with something that is not JSON");
  return body.data as T;
}

export function getServices(signal?: AbortSignal): Promise<string[]> {
  return get<string[] | null>("/api/services", signal).then((x) => (x ?? []).sort());
}

export function getOperations(service: string, signal?: AbortSignal): Promise<string[]> {
  return get<string[] | null>(
    `/api/services/${encodeURIComponent(service)}/operations`,
    signal,
  ).then((x) => (x ?? []).sort());
}

export interface SearchQuery {
  service: string;
  operation?: string;
  /** Parsed logfmt tags. */
  tags?: Record<string, string>;
  lookback: string;
  minDuration?: string;
  maxDuration?: string;
  limit: number;
  /** µs; used when lookback is "custom". */
  start?: number;
  end?: number;
}

/** The lookbacks offered in the form; the URL may carry any `<n>m|h|d`, or "custom". */
export const LOOKBACKS = ["5m", "15m", "1h", "2h", "6h", "12h", "1d", "2d", "7d"];

const UNIT_US: Record<string, number> = { m: 60e6, h: 3600e6, d: 86400e6 };

/** Microseconds in a lookback like "90m" or "2d"; null when it is not one. */
export function lookbackUs(lookback: string): number | null {
  const m = /^(\d{1,6})([mhd])$/.exec(lookback);
  return m ? Number(m[1]) * UNIT_US[m[2]!]! : null;
}

export function searchParams(q: SearchQuery, nowMs = Date.now()): URLSearchParams {
  const p = new URLSearchParams();
  p.set("service", q.service);
  if (q.operation) p.set("operation", q.operation);
  if (q.tags && Object.keys(q.tags).length > 0) p.set("tags", JSON.stringify(q.tags));
  if (q.lookback === "custom" && q.start !== undefined && q.end !== undefined) {
    // A link from Jaeger UI or Grafana with an explicit window.
    p.set("start", String(q.start));
    p.set("end", String(q.end));
  } else {
    const end = Math.round(nowMs * 1000);
    p.set("start", String(end - (lookbackUs(q.lookback) ?? 3600e6)));
    p.set("end", String(end));
    p.set("lookback", q.lookback);
  }
  if (q.minDuration) p.set("minDuration", q.minDuration.replace(/\s+/g, ""));
  if (q.maxDuration) p.set("maxDuration", q.maxDuration.replace(/\s+/g, ""));
  p.set("limit", String(q.limit));
  return p;
}

interface V3Summary {
  traceId: string;
  rootServiceName: string;
  rootOperationName: string;
  minStartTimeUnixNano: string;
  maxEndTimeUnixNano: string;
  spanCount: number;
  errorSpanCount: number;
  services: Array<{ name: string; spanCount: number; errorSpanCount?: number }>;
}

/** Jaeger's v3 trace-summaries parameters for a search (its RFC 3339 window, attributes). */
export function summaryParams(q: SearchQuery, nowMs = Date.now()): URLSearchParams {
  const v1 = searchParams(q, nowMs);
  const p = new URLSearchParams();
  const rfc = (us: string) => new Date(Number(us) / 1000).toISOString();
  p.set("query.serviceName", q.service);
  if (q.operation) p.set("query.operationName", q.operation);
  p.set("query.startTimeMin", rfc(v1.get("start")!));
  p.set("query.startTimeMax", rfc(v1.get("end")!));
  if (q.tags && Object.keys(q.tags).length > 0) p.set("query.attributes", JSON.stringify(q.tags));
  if (v1.get("minDuration")) p.set("query.durationMin", v1.get("minDuration")!);
  if (v1.get("maxDuration")) p.set("query.durationMax", v1.get("maxDuration")!);
  p.set("query.searchDepth", String(q.limit));
  return p;
}

/**
 * Searches through trace summaries (root, bounds, counts per service), never whole traces, so a
 * result list with a 200,000-span trace in it costs what a 10-span one does.
 */
export async function findTraceSummaries(
  q: SearchQuery,
  signal?: AbortSignal,
): Promise<TraceSummary[]> {
  let res: Response;
  try {
    res = await fetch(`/api/v3/trace-summaries?${summaryParams(q)}`, {
      signal,
      headers: { accept: "application/json" },
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiFailure("The viewer did not answer; is `periscope viewer` still running?");
  }
  const body = (await res.json().catch(() => null)) as {
    summaries?: V3Summary[];
    error?: { message?: string };
  } | null;
  if (!res.ok || !body) {
    throw new ApiFailure(
      body?.error?.message || `The viewer answered ${res.status} ${res.statusText}`,
    );
  }
  return (body.summaries ?? []).map((s) => {
    const start = Number(BigInt(s.minStartTimeUnixNano) / 1000n);
    const end = Number(BigInt(s.maxEndTimeUnixNano) / 1000n);
    return {
      // Jaeger prints a trace id whose high half is zero as 16 digits; so do its links.
      traceID: s.traceId.replace(/^0{16}(?=[0-9a-f]{16}$)/, ""),
      rootService: s.rootServiceName,
      rootOperation: s.rootOperationName,
      start,
      duration: end - start,
      spanCount: s.spanCount,
      errorCount: s.errorSpanCount,
      services: s.services
        .map((x): [string, number] => [x.name, x.spanCount])
        .sort((a, b) => b[1] - a[1]),
    };
  });
}

export interface LoadedTrace {
  trace: Trace;
  /** Set when the trace came from a file a user opened, not from the viewer. */
  upload?: UploadInfo;
}

export async function getTrace(id: string, signal?: AbortSignal): Promise<LoadedTrace> {
  const local = await getUpload(id);
  if (local) return { trace: local.trace, upload: local.info };
  performance.mark("trace-fetch");
  const data = await get<Trace[] | null>(
    `/api/traces/${encodeURIComponent(id)}`,
    signal,
    `No trace ${id} in this viewer: check the id, or it may have aged out of retention.`,
  );
  performance.mark("trace-parsed");
  const t = data?.[0];
  if (!t) throw new ApiFailure(`No trace with id ${id}`);
  return { trace: checkTrace(t) };
}

/**
 * Shape check and clean-up, so a malformed trace (an uploaded file is anyone's) gives a sentence
 * or plain strings, never a crash deep in rendering.
 */
export function checkTrace(x: unknown): Trace {
  const t = x as Trace;
  if (!t || typeof t !== "object" || typeof t.traceID !== "string" || !Array.isArray(t.spans)) {
    throw new ApiFailure("Not a Jaeger trace: expected an object with traceID and spans");
  }
  for (const s of t.spans) {
    if (
      !s ||
      typeof s.spanID !== "string" ||
      typeof s.startTime !== "number" ||
      typeof s.duration !== "number"
    ) {
      throw new ApiFailure("Not a Jaeger trace: a span lacks spanID, startTime or duration");
    }
    if (typeof s.operationName !== "string") s.operationName = String(s.operationName ?? "");
    if (typeof s.processID !== "string") s.processID = String(s.processID ?? "");
    s.tags = cleanTags(s.tags);
    s.logs = Array.isArray(s.logs) && s.logs.every(goodLog) ? s.logs : cleanLogs(s.logs, s);
    s.references =
      Array.isArray(s.references) && s.references.every(goodRef)
        ? s.references
        : cleanRefs(s.references);
    s.warnings = Array.isArray(s.warnings) ? s.warnings.map(String) : null;
  }
  if (!t.processes || typeof t.processes !== "object") t.processes = {};
  for (const [id, p] of Object.entries(t.processes)) {
    t.processes[id] = {
      serviceName: String(p?.serviceName ?? "unknown"),
      tags: cleanTags(p?.tags),
    };
  }
  return t;
}

// Well-formed lists (what the viewer itself serves) are kept as they are: copying every tag of a
// 200,000-span trace cost a second of allocation and a quarter of the page's peak heap.
const goodTag = (t: unknown) => {
  const x = t as KeyValue | null;
  if (!x || typeof x !== "object" || typeof x.key !== "string") return false;
  if (x.type !== undefined && typeof x.type !== "string") return false;
  const v = typeof x.value;
  return v === "string" || v === "number" || v === "boolean";
};
const goodLog = (l: unknown) => {
  const x = l as { timestamp?: unknown; fields?: unknown } | null;
  return (
    !!x &&
    typeof x.timestamp === "number" &&
    Array.isArray(x.fields) &&
    (x.fields as unknown[]).every(goodTag)
  );
};
const goodRef = (r: unknown) => {
  const x = r as Record<string, unknown> | null;
  return (
    !!x &&
    typeof x.refType === "string" &&
    typeof x.traceID === "string" &&
    typeof x.spanID === "string"
  );
};

function cleanTags(tags: unknown): KeyValue[] {
  if (!Array.isArray(tags)) return [];
  if (tags.every(goodTag)) return tags as KeyValue[];
  return tags
    .filter((t) => t && typeof t === "object")
    .map((t: { key?: unknown; type?: unknown; value?: unknown }) => ({
      key: String(t.key),
      type: typeof t.type === "string" ? t.type : undefined,
      value:
        typeof t.value === "string" || typeof t.value === "number" || typeof t.value === "boolean"
          ? t.value
          : (JSON.stringify(t.value) ?? String(t.value)),
    }));
}

function cleanLogs(logs: unknown, s: Span): Log[] {
  if (!Array.isArray(logs)) return [];
  return logs
    .filter((l) => l && typeof l === "object")
    .map((l: { timestamp?: unknown; fields?: unknown }) => ({
      timestamp: Number(l.timestamp) || s.startTime,
      fields: cleanTags(l.fields),
    }));
}

function cleanRefs(refs: unknown): Reference[] {
  if (!Array.isArray(refs)) return [];
  return refs
    .filter((r) => r && typeof r === "object")
    .map((r: { refType?: unknown; traceID?: unknown; spanID?: unknown }) => ({
      refType: String(r.refType),
      traceID: String(r.traceID),
      spanID: String(r.spanID),
    }));
}

/**
 * Reads a file a user uploaded: Jaeger's API answer ({data: [...]}), one trace, an array of
 * traces, or OTLP/JSON. The caller keeps them (saveUploads).
 */
export function loadTraceFile(text: string): Trace[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The Collector's file exporter writes JSON Lines: one OTLP request per line.
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    try {
      json = lines.map((l) => JSON.parse(l) as unknown);
    } catch {
      throw new ApiFailure(
        "The file is not JSON; upload a trace downloaded from this viewer or Jaeger, or OTLP/JSON",
      );
    }
  }
  const obj = json as { data?: unknown };
  const list = Array.isArray(json) ? json : obj && Array.isArray(obj.data) ? obj.data : [json];
  const traces = list.some(isOtlpJson)
    ? otlpToJaeger(list.filter(isOtlpJson))
    : list.map(checkTrace);
  if (traces.length === 0) throw new ApiFailure("The file holds no traces");
  return traces.map(checkTrace);
}

/** Jaeger's JSON for one trace, as the download button saves it (and upload reads back). */
export function traceFileText(trace: Trace): string {
  return JSON.stringify({ data: [trace] }, null, 2);
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
  /** Calls whose child span failed, where the viewer counts them (Jaeger's links have none). */
  errorCount?: number;
}

/** Jaeger's /api/dependencies: service-to-service call counts over `lookbackMs` up to now. */
export function getDependencies(
  lookbackMs: number,
  signal?: AbortSignal,
  nowMs = Date.now(),
): Promise<DependencyLink[]> {
  const p = new URLSearchParams({ endTs: String(nowMs), lookback: String(lookbackMs) });
  return get<DependencyLink[] | null>(`/api/dependencies?${p}`, signal).then((x) =>
    (x ?? []).map((l) => ({
      parent: String(l.parent),
      child: String(l.child),
      callCount: Number(l.callCount) || 0,
      errorCount: typeof l.errorCount === "number" ? l.errorCount : undefined,
    })),
  );
}
