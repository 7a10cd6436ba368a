// /dependencies (Jaeger UI's System Architecture): the services that called each other in the
// stored traces over a lookback (counted at ingest, per minute), as a graph laid out by dagre,
// with call counts and error rates on the edges; a service's panel links to its traces and
// its Monitor page.
import { useEffect, useMemo, useState } from "react";
import { type GraphEdgeView, type GraphNodeView, GraphView } from "../components/GraphView.tsx";
import { type DependencyLink, getDependencies } from "../lib/api.ts";
import { Link, navigate } from "../lib/router.tsx";
import { serviceHue } from "../lib/summary.ts";

const LOOKBACKS: Array<[string, number]> = [
  ["1h", 3600e3],
  ["6h", 6 * 3600e3],
  ["1d", 86400e3],
  ["2d", 2 * 86400e3],
  ["7d", 7 * 86400e3],
];

type State =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "done"; links: DependencyLink[] };

const rate = (l: DependencyLink) =>
  l.errorCount === undefined || l.callCount === 0 ? undefined : l.errorCount / l.callCount;
const pct = (r: number) => `${(100 * r).toFixed(r > 0 && r < 0.01 ? 2 : 1)}%`;

export function DependenciesPage(props: { query: URLSearchParams }) {
  const lookback = LOOKBACKS.find(([l]) => l === props.query.get("lookback")) ?? LOOKBACKS[2]!;
  const [state, setState] = useState<State>({ kind: "loading" });
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    document.title = "System Architecture · Periscope";
    const ac = new AbortController();
    setState({ kind: "loading" });
    getDependencies(lookback[1], ac.signal).then(
      (links) => setState({ kind: "done", links }),
      (e: Error) => e.name !== "AbortError" && setState({ kind: "error", message: e.message }),
    );
    return () => ac.abort();
  }, [lookback]);
  const links = state.kind === "done" ? state.links : [];
  const { nodes, edges } = useMemo(() => {
    const calls = new Map<string, { in: number; out: number }>();
    const bump = (s: string, k: "in" | "out", n: number) => {
      const c = calls.get(s) ?? { in: 0, out: 0 };
      c[k] += n;
      calls.set(s, c);
    };
    for (const l of links) {
      bump(l.parent, "out", l.callCount);
      bump(l.child, "in", l.callCount);
    }
    const nodes: GraphNodeView[] = [...calls].map(([s, c]) => ({
      id: s,
      lines: [s, `${c.in} in · ${c.out} out`],
      title: `${s}: called ${c.in} times, made ${c.out} calls`,
      hue: serviceHue(s),
      className: selected === s ? "selected" : undefined,
    }));
    const edges: GraphEdgeView[] = links.map((l) => {
      const r = rate(l);
      return {
        from: l.parent,
        to: l.child,
        label: `${l.callCount} ${l.callCount === 1 ? "call" : "calls"}${r ? `, ${pct(r)} errors` : ""}`,
        className: r ? "has-errors" : undefined,
      };
    });
    return { nodes, edges };
  }, [links, selected]);
  const sel = selected ? links.filter((l) => l.parent === selected || l.child === selected) : [];
  return (
    <main className="page wide">
      <h1>System Architecture</h1>
      <div className="view-tools flush">
        <label className="inline">
          Lookback
          <select
            aria-label="Lookback"
            value={lookback[0]}
            onChange={(e) => navigate(`/dependencies?lookback=${e.target.value}`, true)}
          >
            {LOOKBACKS.map(([l]) => (
              <option key={l} value={l}>
                Last {l}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          A service calls another when one of its spans is the parent of the other's span.
        </span>
      </div>
      {state.kind === "loading" && <p className="empty">Loading…</p>}
      {state.kind === "error" && (
        <div className="error-box" role="alert">
          {state.message}
        </div>
      )}
      {state.kind === "done" && links.length === 0 && (
        <div className="empty">
          <h2>No calls between services</h2>
          <p>
            Over the last {lookback[0]} no span of one service had a parent in another. Traces that
            cross services (an HTTP client span and the server span it calls) make the graph.
          </p>
        </div>
      )}
      {selected && (
        <div className="graph-panel" data-testid="service-panel">
          <strong>{selected}</strong>
          {sel.map((l) => (
            <span key={`${l.parent}\u0000${l.child}`}>
              {l.parent === selected ? `→ ${l.child}` : `← ${l.parent}`}: {l.callCount}
              {rate(l) !== undefined ? ` (${pct(rate(l)!)} errors)` : ""}
            </span>
          ))}
          <Link to={`/search?service=${encodeURIComponent(selected)}`}>Find its traces</Link>
          <Link to={`/monitor?service=${encodeURIComponent(selected)}`}>Its metrics</Link>
        </div>
      )}
      {links.length > 0 && (
        <>
          <GraphView
            nodes={nodes}
            edges={edges}
            direction="LR"
            nodeWidth={200}
            label="Service dependency graph"
            testId="dependency-graph"
            onNodeClick={(s) => setSelected((x) => (x === s ? null : s))}
          />
          <table className="data-table flush" data-testid="dependency-table">
            <thead>
              <tr>
                <th>Caller</th>
                <th>Callee</th>
                <th className="num">Calls</th>
                <th className="num">Errors</th>
              </tr>
            </thead>
            <tbody>
              {links.map((l) => (
                <tr key={`${l.parent}\u0000${l.child}`}>
                  <td>{l.parent}</td>
                  <td>{l.child}</td>
                  <td className="num">{l.callCount}</td>
                  <td className="num">
                    {l.errorCount === undefined ? "—" : `${l.errorCount} (${pct(rate(l) ?? 0)})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  );
}
