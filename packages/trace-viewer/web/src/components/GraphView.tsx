// Draws a directed graph laid out by dagre as SVG: boxes with a few lines of text (span strings
// as SVG text, never markup), arrows, optional edge labels; a node click or Enter calls back.
import { type KeyboardEvent, useMemo } from "react";
import { layoutGraph } from "../lib/graph-layout.ts";

export interface GraphNodeView {
  id: string;
  /** First line bold; each line is cut to the box's width (the full text is the tooltip). */
  lines: string[];
  title: string;
  hue?: number;
  className?: string;
  /** Small text in the box's top-right corner (a count, a collapsed marker). */
  badge?: string;
}

export interface GraphEdgeView {
  from: string;
  to: string;
  label?: string;
  className?: string;
}

const CHAR_W = 6.8;

function cut(s: string, width: number): string {
  const max = Math.max(4, Math.floor((width - 18) / CHAR_W));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function GraphView(props: {
  nodes: GraphNodeView[];
  edges: GraphEdgeView[];
  direction?: "TB" | "LR";
  nodeWidth?: number;
  onNodeClick?: (id: string) => void;
  testId?: string;
  label: string;
}) {
  const w = props.nodeWidth ?? 230;
  const layout = useMemo(
    () =>
      layoutGraph({
        nodes: props.nodes.map((n) => ({ id: n.id, width: w, height: 16 + 16 * n.lines.length })),
        edges: props.edges.map((e) => ({
          from: e.from,
          to: e.to,
          labelWidth: e.label ? e.label.length * CHAR_W + 8 : undefined,
        })),
        direction: props.direction,
      }),
    [props.nodes, props.edges, props.direction, w],
  );
  const byId = useMemo(() => new Map(props.nodes.map((n) => [n.id, n])), [props.nodes]);
  const edgeView = useMemo(
    () => new Map(props.edges.map((e) => [`${e.from}\u0000${e.to}`, e])),
    [props.edges],
  );
  const key = (e: KeyboardEvent, id: string) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    e.preventDefault();
    props.onNodeClick?.(id);
  };
  return (
    <div className="graph-scroll" data-testid={props.testId}>
      <svg
        width={Math.max(layout.width, 200)}
        height={Math.max(layout.height, 100)}
        role="img"
        aria-label={props.label}
        className="graph"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" className="graph-arrow" />
          </marker>
        </defs>
        {layout.edges.map((e) => {
          const view = edgeView.get(`${e.from}\u0000${e.to}`);
          const d = e.points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" ");
          const mid = e.label;
          return (
            <g key={`${e.from}\u0000${e.to}`} className={`graph-edge ${view?.className ?? ""}`}>
              <path d={d} markerEnd="url(#arrow)" />
              {view?.label && mid && (
                <text x={mid.x} y={mid.y + 4} textAnchor="middle" className="graph-edge-label">
                  {view.label}
                </text>
              )}
            </g>
          );
        })}
        {[...layout.nodes].map(([id, box]) => {
          const n = byId.get(id);
          if (!n) return null;
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>
            <g
              key={id}
              transform={`translate(${box.x},${box.y})`}
              className={`graph-node ${n.className ?? ""}`}
              style={n.hue === undefined ? undefined : { ["--hue" as string]: String(n.hue) }}
              role="button"
              tabIndex={0}
              aria-label={n.title}
              data-node-id={id}
              onClick={() => props.onNodeClick?.(id)}
              onKeyDown={(e) => key(e, id)}
            >
              <title>{n.title}</title>
              <rect width={box.width} height={box.height} rx={6} />
              <rect width={5} height={box.height} rx={2} className="graph-node-stripe" />
              {n.lines.map((line, i) => (
                <text
                  // biome-ignore lint/suspicious/noArrayIndexKey: fixed lines of one box
                  key={i}
                  x={12}
                  y={20 + 16 * i}
                  className={i === 0 ? "graph-node-title" : "graph-node-line"}
                >
                  {cut(line, box.width - (i === 0 && n.badge ? 40 : 0))}
                </text>
              ))}
              {n.badge && (
                <text x={box.width - 8} y={20} textAnchor="end" className="graph-node-badge">
                  {n.badge}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
