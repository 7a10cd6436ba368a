// One line per trace for the search results: root span, counts, errors, bounds, and a colour
// per service that the timeline reuses.
import type { Span, Trace } from "./jaeger.ts";
import { isErrorSpan } from "./trace-model.ts";

export interface TraceSummary {
  traceID: string;
  rootService: string;
  rootOperation: string;
  start: number;
  duration: number;
  spanCount: number;
  errorCount: number;
  services: Array<[name: string, spans: number]>;
}

export function summarize(trace: Trace): TraceSummary {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const hasParent = (s: Span) =>
    (s.references ?? []).some((r) => r.spanID !== s.spanID && ids.has(r.spanID));
  let root: Span | undefined;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let errorCount = 0;
  const services = new Map<string, number>();
  for (const s of trace.spans) {
    if (!hasParent(s) && (root === undefined || s.startTime < root.startTime)) root = s;
    if (s.startTime < start) start = s.startTime;
    if (s.startTime + s.duration > end) end = s.startTime + s.duration;
    if (isErrorSpan(s)) errorCount++;
    const svc = trace.processes[s.processID]?.serviceName ?? "unknown";
    services.set(svc, (services.get(svc) ?? 0) + 1);
  }
  // Every span has a parent only in a cyclic (broken) trace: fall back to the earliest.
  root ??= trace.spans.reduce<Span | undefined>(
    (a, s) => (a === undefined || s.startTime < a.startTime ? s : a),
    undefined,
  );
  if (trace.spans.length === 0) start = end = 0;
  return {
    traceID: trace.traceID,
    rootService: root ? (trace.processes[root.processID]?.serviceName ?? "unknown") : "unknown",
    rootOperation: root?.operationName ?? "(no spans)",
    start,
    duration: end - start,
    spanCount: trace.spans.length,
    errorCount,
    services: [...services.entries()].sort((a, b) => b[1] - a[1]),
  };
}

export type SortKey = "recent" | "longest" | "shortest" | "most-spans" | "least-spans";

export const SORTS: Array<[SortKey, string]> = [
  ["recent", "Most recent"],
  ["longest", "Longest first"],
  ["shortest", "Shortest first"],
  ["most-spans", "Most spans"],
  ["least-spans", "Least spans"],
];

export function sortSummaries(list: TraceSummary[], key: SortKey): TraceSummary[] {
  const by: Record<SortKey, (a: TraceSummary, b: TraceSummary) => number> = {
    recent: (a, b) => b.start - a.start,
    longest: (a, b) => b.duration - a.duration,
    shortest: (a, b) => a.duration - b.duration,
    "most-spans": (a, b) => b.spanCount - a.spanCount,
    "least-spans": (a, b) => a.spanCount - b.spanCount,
  };
  return [...list].sort(by[key]);
}

/** A stable hue per service name, so a service keeps its colour across pages. */
export function serviceHue(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  // Keep clear of red, which means "error".
  return 30 + ((h >>> 0) % 300);
}
