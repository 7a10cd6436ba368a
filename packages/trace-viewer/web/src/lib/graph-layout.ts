// Layered layout of a directed graph for the Trace Graph, Compare and System Architecture views,
// by dagre (@dagrejs/dagre): node boxes placed in ranks, edges routed as polylines.
import dagre from "@dagrejs/dagre";

export interface LayoutInput {
  nodes: Array<{ id: string; width: number; height: number }>;
  edges: Array<{ from: string; to: string }>;
  direction?: "TB" | "LR";
}

export interface Layout {
  width: number;
  height: number;
  /** Top-left corner of each node. */
  nodes: Map<string, { x: number; y: number; width: number; height: number }>;
  edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }> }>;
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
  for (const e of input.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
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
  const edges: Layout["edges"] = g.edges().map((e) => ({
    from: e.v,
    to: e.w,
    points: (g.edge(e)?.points ?? []).map((p: { x: number; y: number }) => ({ x: p.x, y: p.y })),
  }));
  const graph = g.graph();
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges };
}
