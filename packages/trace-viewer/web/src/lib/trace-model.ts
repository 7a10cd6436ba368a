// Turns a Jaeger trace into the tree the timeline draws: parents from references, depth-first
// order, errors, the trace's bounds, and the critical path. Iterative, so deep traces are safe.
import type { KeyValue, Span, Trace } from "./jaeger.ts";

export interface SpanNode {
  span: Span;
  service: string;
  depth: number;
  parent: SpanNode | null;
  children: SpanNode[];
  hasError: boolean;
  end: number;
}

export interface TraceModel {
  trace: Trace;
  roots: SpanNode[];
  /** Every span in depth-first order, children by start time. */
  nodes: SpanNode[];
  byId: Map<string, SpanNode>;
  start: number;
  end: number;
  duration: number;
  services: string[];
  errorCount: number;
  maxDepth: number;
}

export function isErrorSpan(span: Span): boolean {
  for (const t of span.tags ?? []) {
    if (t.key === "error" && (t.value === true || t.value === "true")) return true;
    if (t.key === "otel.status_code" && t.value === "ERROR") return true;
  }
  return false;
}

export function tagValue(tags: KeyValue[] | null | undefined, key: string): string | undefined {
  const t = tags?.find((x) => x.key === key);
  return t === undefined ? undefined : String(t.value);
}

export function buildModel(trace: Trace): TraceModel {
  const byId = new Map<string, SpanNode>();
  for (const span of trace.spans) {
    byId.set(span.spanID, {
      span,
      service: trace.processes[span.processID]?.serviceName ?? "unknown",
      depth: 0,
      parent: null,
      children: [],
      hasError: isErrorSpan(span),
      end: span.startTime + span.duration,
    });
  }
  const roots: SpanNode[] = [];
  for (const node of byId.values()) {
    const refs = node.span.references ?? [];
    const ref =
      refs.find((r) => r.refType === "CHILD_OF" && byId.has(r.spanID)) ??
      refs.find((r) => byId.has(r.spanID));
    const parent = ref && ref.spanID !== node.span.spanID ? byId.get(ref.spanID) : undefined;
    if (parent) {
      node.parent = parent;
      parent.children.push(node);
    } else roots.push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.span.startTime - b.span.startTime;
  roots.sort(byStart);
  const nodes: SpanNode[] = [];
  const seen = new Set<SpanNode>();
  let maxDepth = 0;
  const stack: SpanNode[] = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    // A reference cycle in hostile input must not loop forever.
    if (seen.has(node)) continue;
    seen.add(node);
    node.depth = node.parent ? node.parent.depth + 1 : 0;
    if (node.depth > maxDepth) maxDepth = node.depth;
    nodes.push(node);
    node.children.sort(byStart);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  // Spans caught in a cycle were never reached from a root: show them as roots.
  for (const node of byId.values()) {
    if (!seen.has(node)) {
      node.parent = null;
      node.depth = 0;
      roots.push(node);
      nodes.push(node);
      seen.add(node);
    }
  }
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let errorCount = 0;
  for (const n of nodes) {
    if (n.span.startTime < start) start = n.span.startTime;
    if (n.end > end) end = n.end;
    if (n.hasError) errorCount++;
  }
  if (nodes.length === 0) start = end = 0;
  const services = [...new Set(nodes.map((n) => n.service))].sort();
  return {
    trace,
    roots,
    nodes,
    byId,
    start,
    end,
    duration: end - start,
    services,
    errorCount,
    maxDepth,
  };
}

/** The rows to show: depth-first, skipping the descendants of collapsed spans. */
export function visibleNodes(model: TraceModel, collapsed: ReadonlySet<string>): SpanNode[] {
  if (collapsed.size === 0) return model.nodes;
  const out: SpanNode[] = [];
  let skipBelow = -1;
  for (const n of model.nodes) {
    if (skipBelow >= 0 && n.depth > skipBelow) continue;
    skipBelow = -1;
    out.push(n);
    if (collapsed.has(n.span.spanID) && n.children.length > 0) skipBelow = n.depth;
  }
  return out;
}

export type Segment = [start: number, end: number];

/**
 * The critical path: the chain of work that decided the trace's end. Walking back from a span's
 * end, the child that finished last (before the cursor) is on the path; the gaps between such
 * children are the span's own time on the path.
 */
export function criticalPath(model: TraceModel): Map<string, Segment[]> {
  const out = new Map<string, Segment[]>();
  const add = (id: string, s: number, e: number) => {
    if (e <= s) return;
    const list = out.get(id);
    if (list) list.push([s, e]);
    else out.set(id, [[s, e]]);
  };
  const work: Array<[SpanNode, number]> = model.roots.map((r) => [r, r.end]);
  const visited = new Set<SpanNode>();
  while (work.length > 0) {
    const [node, bound] = work.pop()!;
    if (visited.has(node)) continue;
    visited.add(node);
    const spanStart = node.span.startTime;
    let cursor = Math.min(node.end, bound);
    const kids = [...node.children].sort((a, b) => b.end - a.end);
    for (const child of kids) {
      if (cursor <= spanStart) break;
      if (child.span.startTime >= cursor) continue;
      const childEnd = Math.min(child.end, cursor);
      add(node.span.spanID, childEnd, cursor);
      work.push([child, childEnd]);
      cursor = Math.max(child.span.startTime, spanStart);
    }
    add(node.span.spanID, spanStart, cursor);
  }
  return out;
}

/**
 * A span's critical-path segments as stripes in percent of the view, clipped to it, with runs
 * closer than a pixel or so merged: a connection span over 200,000 back-to-back commands has as
 * many gaps on the path, and one element each made the row cost seconds of layout.
 */
export function stripes(segments: Segment[], viewStart: number, viewDur: number): Segment[] {
  const MERGE = 0.1;
  const pct = segments
    .map(
      ([s, e]): Segment => [
        Math.max(((s - viewStart) / viewDur) * 100, 0),
        Math.min(((e - viewStart) / viewDur) * 100, 100),
      ],
    )
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const out: Segment[] = [];
  for (const seg of pct) {
    const last = out[out.length - 1];
    if (last && seg[0] - last[1] < MERGE) last[1] = Math.max(last[1], seg[1]);
    else out.push([seg[0], seg[1]]);
  }
  return out;
}

const haystacks = new WeakMap<SpanNode, { values: string; pairs: string }>();

/**
 * Lower-cased text a user may search for in a span, cached: `values` has the names (operation,
 * service, span id) and the attribute and event values; `pairs` has "key=value" per attribute
 * and event field, so a key is found only when asked for (a word with "=", or the keys toggle).
 */
export function spanHaystack(node: SpanNode): { values: string; pairs: string } {
  const cached = haystacks.get(node);
  if (cached !== undefined) return cached;
  const s = node.span;
  const values = [s.operationName, node.service, s.spanID];
  const pairs: string[] = [];
  const add = (k: string, v: unknown) => {
    values.push(String(v));
    pairs.push(`${k}=${String(v)}`);
  };
  for (const t of s.tags ?? []) add(t.key, t.value);
  for (const l of s.logs ?? []) for (const f of l.fields) add(f.key, f.value);
  const hay = { values: values.join("\n").toLowerCase(), pairs: pairs.join("\n").toLowerCase() };
  haystacks.set(node, hay);
  return hay;
}

/**
 * Span ids matching every whitespace-separated word of the query (case-insensitive) in a name or
 * a value; a word with "=" (`http.status_code=500`) matches "key=value", and with `keys` every
 * word may also match an attribute key.
 */
export function searchSpans(model: TraceModel, query: string, keys = false): Set<string> {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const out = new Set<string>();
  if (words.length === 0) return out;
  for (const n of model.nodes) {
    const hay = spanHaystack(n);
    const hit = (w: string) =>
      w.includes("=") || keys
        ? hay.values.includes(w) || hay.pairs.includes(w)
        : hay.values.includes(w);
    if (words.every(hit)) out.add(n.span.spanID);
  }
  return out;
}

/** Per "service: operation", how many spans each trace has: the compare view's table. */
export function operationCounts(model: TraceModel): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of model.nodes) {
    const k = `${n.service}: ${n.span.operationName}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}
