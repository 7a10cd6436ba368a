// Figures the Statistics, Spans Table and Trace Graph views share: each span's self time (its
// duration less the time its children cover) and the per-operation aggregates.
import type { SpanNode, TraceModel } from "./trace-model.ts";

const selfCache = new WeakMap<TraceModel, Map<SpanNode, number>>();

/**
 * Self time of every span: the part of its own interval that no child covers. Children overlap
 * (concurrent work) and may run past their parent, so the union of their intervals, clipped to
 * the parent, is subtracted. Children are sorted by start in the model, so one pass per span.
 */
export function selfTimes(model: TraceModel): Map<SpanNode, number> {
  const cached = selfCache.get(model);
  if (cached) return cached;
  const out = new Map<SpanNode, number>();
  for (const n of model.nodes) {
    const s = n.span.startTime;
    const e = n.end;
    let covered = 0;
    let runStart = -1;
    let runEnd = -1;
    for (const c of n.children) {
      const cs = Math.max(c.span.startTime, s);
      const ce = Math.min(c.end, e);
      if (ce <= cs) continue;
      if (cs > runEnd) {
        covered += runEnd - runStart;
        runStart = cs;
        runEnd = ce;
      } else if (ce > runEnd) runEnd = ce;
    }
    covered += runEnd - runStart;
    out.set(n, Math.max(0, e - s - covered));
  }
  selfCache.set(model, out);
  return out;
}

export interface OperationStats {
  key: string;
  service: string;
  operation: string;
  /** The tag's value when grouped by a tag ("" = the tag is absent). */
  tagValue?: string;
  count: number;
  errors: number;
  total: number;
  min: number;
  max: number;
  selfTotal: number;
}

/** Per service and operation (and per value of `tagKey` when given), over every span. */
export function operationStats(model: TraceModel, tagKey?: string): OperationStats[] {
  const self = selfTimes(model);
  const groups = new Map<string, OperationStats>();
  for (const n of model.nodes) {
    let tv: string | undefined;
    if (tagKey) {
      const t = n.span.tags?.find((x) => x.key === tagKey);
      tv = t === undefined ? "" : String(t.value);
    }
    const key = `${n.service}\u0000${n.span.operationName}${tv === undefined ? "" : `\u0000${tv}`}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        service: n.service,
        operation: n.span.operationName,
        tagValue: tv,
        count: 0,
        errors: 0,
        total: 0,
        min: Number.POSITIVE_INFINITY,
        max: 0,
        selfTotal: 0,
      };
      groups.set(key, g);
    }
    const d = n.span.duration;
    g.count++;
    if (n.hasError) g.errors++;
    g.total += d;
    if (d < g.min) g.min = d;
    if (d > g.max) g.max = d;
    g.selfTotal += self.get(n) ?? 0;
  }
  return [...groups.values()];
}

/** Tag keys present on the trace's spans, most common first: the "group by tag" choices. */
export function tagKeys(model: TraceModel, limit = 200): string[] {
  const counts = new Map<string, number>();
  for (const n of model.nodes) {
    for (const t of n.span.tags ?? []) counts.set(t.key, (counts.get(t.key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([k]) => k);
}
