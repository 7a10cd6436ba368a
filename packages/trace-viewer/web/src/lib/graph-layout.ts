// Layered layout of a directed graph for the Trace Graph, Compare and System Architecture views,
// by dagre (@dagrejs/dagre): node boxes placed in ranks, edges routed as polylines.
import dagre from "@dagrejs/dagre";

export interface LayoutInput {
  nodes: Array<{ id: string; width: number; height: number }>;
  /** An edge with a label gets room for it (dagre places labels as if they were small nodes). */
  edges: Array<{ from: string; to: string; labelWidth?: number }>;
  direction?: "TB" | "LR";
}

export interface Layout {
  width: number;
  height: number;
  /** Top-left corner of each node. */
  nodes: Map<string, { x: number; y: number; width: number; height: number }>;
  edges: Array<{
    from: string;
    to: string;
    points: Array<{ x: number; y: number }>;
    /** Centre of the edge's label, when it has one. */
    label?: { x: number; y: number };
  }>;
}

export function layoutGraph(input: LayoutInput): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({
    rankdir: input.direction ?? "TB",
    nodesep: 24,
    ranksep: 46,
    marginx: 16,
    marginy: 16,
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of input.nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of input.edges) {
    if (!g.hasNode(e.from) || !g.hasNode(e.to)) continue;
    g.setEdge(e.from, e.to, e.labelWidth ? { width: e.labelWidth, height: 14, labelpos: "c" } : {});
  }
  dagre.layout(g);
  const nodes: Layout["nodes"] = new Map();
  for (const id of g.nodes()) {
    const n = g.node(id);
    if (!n) continue;
    nodes.set(id, {
      x: n.x - n.width / 2,
      y: n.y - n.height / 2,
      width: n.width,
      height: n.height,
    });
  }
  const edges: Layout["edges"] = g.edges().map((e) => {
    const label = g.edge(e) as {
      points?: Array<{ x: number; y: number }>;
      x?: number;
      y?: number;
      width?: number;
    };
    return {
      from: e.v,
      to: e.w,
      points: (label?.points ?? []).map((p) => ({ x: p.x, y: p.y })),
      label:
        label?.width && label.x !== undefined && label.y !== undefined
          ? { x: label.x, y: label.y }
          : undefined,
    };
  });
  const graph = g.graph();
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges };
}
