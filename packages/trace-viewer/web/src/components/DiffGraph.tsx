// Compare's diff graph, as Jaeger UI draws it: both traces' span graphs (spans merged by service
// and operation along their path) laid over each other; a node is only in A, only in B, changed
// (count, errors or mean duration off by more than 20%) or the same. A click shows its figures.
import { useMemo, useState } from "react";
import { formatDuration } from "../lib/format.ts";
import { Link, traceHref } from "../lib/router.tsx";
import { serviceHue } from "../lib/summary.ts";
import { buildDag, type DagNode, type DiffKind, diffDags, visibleDag } from "../lib/trace-dag.ts";
import type { TraceModel } from "../lib/trace-model.ts";
import { type GraphEdgeView, type GraphNodeView, GraphView } from "./GraphView.tsx";

const KIND_LABEL: Record<DiffKind, string> = {
  "only-a": "only in A",
  "only-b": "only in B",
  changed: "changed",
  same: "same",
};

const side = (d: DagNode | undefined) =>
  d
    ? `×${d.count} avg ${formatDuration(d.total / d.count)}${d.errors ? `, ${d.errors} err` : ""}`
    : "—";

export function DiffGraph(props: { a: TraceModel; b: TraceModel }) {
  const merged = useMemo(() => diffDags(buildDag(props.a), buildDag(props.b)), [props.a, props.b]);
  const [selected, setSelected] = useState<string | null>(null);
  const { keys, truncated } = useMemo(() => visibleDag(merged, new Set()), [merged]);
  const counts = useMemo(() => {
    const c: Record<DiffKind, number> = { "only-a": 0, "only-b": 0, changed: 0, same: 0 };
    for (const d of merged.diff.values()) c[d.kind]++;
    return c;
  }, [merged]);
  const { nodes, edges } = useMemo(() => {
    const shown = new Set(keys);
    const nodes: GraphNodeView[] = [];
    const edges: GraphEdgeView[] = [];
    for (const k of keys) {
      const d = merged.diff.get(k)!;
      nodes.push({
        id: k,
        lines: [d.operation, d.service, `A ${side(d.a)}`, `B ${side(d.b)}`],
        title: `${d.service}: ${d.operation}, ${KIND_LABEL[d.kind]}`,
        hue: serviceHue(d.service),
        className: `diff-${d.kind}${selected === k ? " selected" : ""}`,
        badge: d.kind === "same" ? undefined : KIND_LABEL[d.kind],
      });
      if (d.parent !== null && shown.has(d.parent))
        edges.push({ from: d.parent, to: k, className: `diff-${d.kind}` });
    }
    return { nodes, edges };
  }, [merged, keys, selected]);
  const sel = selected ? merged.diff.get(selected) : undefined;
  return (
    <section className="diff" data-testid="diff">
      <h2>Diff graph</h2>
      <p className="diff-legend">
        <span className="legend diff-only-a">only in A ({counts["only-a"]})</span>
        <span className="legend diff-only-b">only in B ({counts["only-b"]})</span>
        <span className="legend diff-changed">changed ({counts.changed})</span>
        <span className="legend diff-same">same ({counts.same})</span>
        {truncated && <span className="warn-text">Showing the first {keys.length} nodes.</span>}
      </p>
      {sel && (
        <div className="graph-panel" data-testid="diff-panel">
          <strong>{sel.operation}</strong> <span className="muted">{sel.service}</span>
          <span className={`legend diff-${sel.kind}`}>{KIND_LABEL[sel.kind]}</span>
          <span>A: {side(sel.a)}</span>
          <span>B: {side(sel.b)}</span>
          {sel.a && (
            <Link
              to={`${traceHref(props.a.trace.traceID)}?span=${encodeURIComponent(sel.a.firstSpanId)}`}
            >
              open in A
            </Link>
          )}
          {sel.b && (
            <Link
              to={`${traceHref(props.b.trace.traceID)}?span=${encodeURIComponent(sel.b.firstSpanId)}`}
            >
              open in B
            </Link>
          )}
        </div>
      )}
      <GraphView
        nodes={nodes}
        edges={edges}
        label="Diff graph of traces A and B"
        testId="diff-graph"
        nodeWidth={250}
        onNodeClick={(k) => setSelected((s) => (s === k ? null : k))}
      />
    </section>
  );
}
