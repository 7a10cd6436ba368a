// The trace as Jaeger's Trace Graph draws it: spans merged along their path from the root by
// service and operation (ten GETs under one connection become one node "×10"), and the diff of
// two such graphs that Compare shows (only in A, only in B, changed count or duration).
import type { SpanNode, TraceModel } from "./trace-model.ts";
import { selfTimes } from "./trace-stats.ts";

export interface DagNode {
  /** The path from the root, "service\u0001operation" parts joined by \u0000: equal in A and B. */
  key: string;
  parent: string | null;
  children: string[];
  service: string;
  operation: string;
  count: number;
  errors: number;
  /** Sum of the merged spans' durations and self times (µs). */
  total: number;
  self: number;
  /** The first span merged here, to open from the graph. */
  firstSpanId: string;
}

export interface Dag {
  nodes: Map<string, DagNode>;
  roots: string[];
}

export function buildDag(model: TraceModel): Dag {
  const self = selfTimes(model);
  const nodes = new Map<string, DagNode>();
  const roots: string[] = [];
  const nodeOf = new Map<SpanNode, DagNode>();
  // Per graph node (null: the roots), its children by service, then operation: found without
  // building a path string per span (200,000 of them cost more than the rest of the view).
  const childIndex = new Map<DagNode | null, Map<string, Map<string, DagNode>>>();
  // model.nodes is depth-first, so a parent's node is known before its children are reached.
  for (const n of model.nodes) {
    const parent = n.parent ? (nodeOf.get(n.parent) ?? null) : null;
    let byService = childIndex.get(parent);
    if (!byService) {
      byService = new Map();
      childIndex.set(parent, byService);
    }
    let byOp = byService.get(n.service);
    if (!byOp) {
      byOp = new Map();
      byService.set(n.service, byOp);
    }
    const op = n.span.operationName;
    let d = byOp.get(op);
    if (!d) {
      const part = `${n.service}\u0001${op}`;
      const key = parent === null ? part : `${parent.key}\u0000${part}`;
      d = {
        key,
        parent: parent?.key ?? null,
        children: [],
        service: n.service,
        operation: op,
        count: 0,
        errors: 0,
        total: 0,
        self: 0,
        firstSpanId: n.span.spanID,
      };
      byOp.set(op, d);
      nodes.set(key, d);
      if (parent === null) roots.push(key);
      else parent.children.push(key);
    }
    nodeOf.set(n, d);
    d.count++;
    if (n.hasError) d.errors++;
    d.total += n.span.duration;
    d.self += self.get(n) ?? 0;
  }
  return { nodes, roots };
}

/**
 * The nodes to draw: every node whose ancestors are all expanded, at most `cap` of them
 * (breadth first, so a huge graph shows its top levels); `truncated` says some were left out.
 */
export function visibleDag(
  dag: Dag,
  collapsed: ReadonlySet<string>,
  cap = 400,
): { keys: string[]; truncated: boolean } {
  const keys: string[] = [];
  const queue = [...dag.roots];
  for (let i = 0; i < queue.length; i++) {
    if (keys.length >= cap) return { keys, truncated: true };
    const k = queue[i]!;
    keys.push(k);
    if (!collapsed.has(k)) queue.push(...(dag.nodes.get(k)?.children ?? []));
  }
  return { keys, truncated: false };
}

export type DiffKind = "same" | "only-a" | "only-b" | "changed";

export interface DiffNode {
  key: string;
  parent: string | null;
  children: string[];
  service: string;
  operation: string;
  a: DagNode | undefined;
  b: DagNode | undefined;
  kind: DiffKind;
}

/** Mean duration ratio beyond which a node counts as changed even with equal counts. */
const DURATION_CHANGE = 0.2;

export function diffDags(a: Dag, b: Dag): Dag & { diff: Map<string, DiffNode> } {
  const diff = new Map<string, DiffNode>();
  const roots: string[] = [];
  const add = (src: DagNode) => {
    if (diff.has(src.key)) return;
    const na = a.nodes.get(src.key);
    const nb = b.nodes.get(src.key);
    let kind: DiffKind = "same";
    if (!na) kind = "only-b";
    else if (!nb) kind = "only-a";
    else {
      const ma = na.total / na.count;
      const mb = nb.total / nb.count;
      const rel = Math.abs(mb - ma) / Math.max(ma, mb, 1);
      if (na.count !== nb.count || na.errors !== nb.errors || rel > DURATION_CHANGE)
        kind = "changed";
    }
    diff.set(src.key, {
      key: src.key,
      parent: src.parent,
      children: [],
      service: src.service,
      operation: src.operation,
      a: na,
      b: nb,
      kind,
    });
    if (src.parent === null) roots.push(src.key);
  };
  for (const n of a.nodes.values()) add(n);
  for (const n of b.nodes.values()) add(n);
  for (const d of diff.values()) if (d.parent !== null) diff.get(d.parent)?.children.push(d.key);
  // A Dag view of the union, so the same layout and collapsing apply.
  const nodes = new Map<string, DagNode>();
  for (const d of diff.values()) {
    const src = (d.b ?? d.a)!;
    nodes.set(d.key, { ...src, children: d.children });
  }
  return { nodes, roots, diff };
}
