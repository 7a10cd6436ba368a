// The trace page's Trace Graph view: spans merged by service and operation along their path from
// the root (Jaeger's trace graph), laid out by dagre, coloured by service, with count, total and
// self time. A node click selects it; its panel collapses its subtree or opens it in the timeline.
import { useMemo, useState } from "react";
import { type GraphEdgeView, type GraphNodeView, GraphView } from "../components/GraphView.tsx";
import { formatDuration } from "../lib/format.ts";
import { serviceHue } from "../lib/summary.ts";
import { buildDag, visibleDag } from "../lib/trace-dag.ts";
import type { TraceModel } from "../lib/trace-model.ts";

export function TraceGraphView(props: { model: TraceModel; onOpenSpan: (id: string) => void }) {
  const dag = useMemo(() => buildDag(props.model), [props.model]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const { keys, truncated } = useMemo(() => visibleDag(dag, collapsed), [dag, collapsed]);
  const { nodes, edges } = useMemo(() => {
    const shown = new Set(keys);
    const nodes: GraphNodeView[] = [];
    const edges: GraphEdgeView[] = [];
    for (const k of keys) {
      const d = dag.nodes.get(k)!;
      const hidden = collapsed.has(k) && d.children.length > 0;
      nodes.push({
        id: k,
        lines: [
          d.operation,
          d.service,
          `${formatDuration(d.total)} total · ${formatDuration(d.self)} self`,
        ],
        title: `${d.service}: ${d.operation}, ${d.count} ${d.count === 1 ? "span" : "spans"}${d.errors ? `, ${d.errors} with errors` : ""}`,
        hue: serviceHue(d.service),
        className: [d.errors > 0 ? "error" : "", selected === k ? "selected" : ""].join(" "),
        badge: `${hidden ? "▸ " : ""}×${d.count}`,
      });
      if (d.parent !== null && shown.has(d.parent)) edges.push({ from: d.parent, to: k });
    }
    return { nodes, edges };
  }, [dag, keys, collapsed, selected]);
  const sel = selected ? dag.nodes.get(selected) : undefined;
  const toggle = (k: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (!next.delete(k)) next.add(k);
      return next;
    });
  return (
    <div className="view-body">
      <div className="view-tools">
        <span className="muted">
          {dag.nodes.size} {dag.nodes.size === 1 ? "node" : "nodes"} for {props.model.nodes.length}{" "}
          spans: spans with the same service and operation under the same path are merged.
        </span>
        <button type="button" className="btn" onClick={() => setCollapsed(new Set())}>
          Expand all
        </button>
        {truncated && (
          <span className="warn-text" role="status">
            Showing the first {keys.length} nodes; collapse nodes to see deeper ones.
          </span>
        )}
      </div>
      {sel && (
        <div className="graph-panel" data-testid="graph-panel">
          <strong>{sel.operation}</strong> <span className="muted">{sel.service}</span>
          <span>
            {sel.count} {sel.count === 1 ? "span" : "spans"} · {formatDuration(sel.total)} total ·{" "}
            {formatDuration(sel.total / sel.count)} avg · {formatDuration(sel.self)} self
            {sel.errors > 0 && <span className="error-text"> · {sel.errors} with errors</span>}
          </span>
          {sel.children.length > 0 && (
            <button type="button" className="btn small" onClick={() => toggle(sel.key)}>
              {collapsed.has(sel.key) ? "Expand" : "Collapse"} {sel.children.length} below
            </button>
          )}
          <button
            type="button"
            className="btn small"
            onClick={() => props.onOpenSpan(sel.firstSpanId)}
          >
            Open in timeline
          </button>
        </div>
      )}
      <GraphView
        nodes={nodes}
        edges={edges}
        label="Trace graph"
        testId="trace-graph"
        onNodeClick={(k) => setSelected((s) => (s === k ? null : k))}
      />
    </div>
  );
}
