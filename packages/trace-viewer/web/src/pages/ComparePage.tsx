// /trace/{a}...{b} (Jaeger's compare URL): two traces side by side as Jaeger's diff graph (the
// merged span graph of both, each node only in A, only in B, changed or the same), and per
// "service: operation" how many spans each has.
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { DiffGraph } from "../components/DiffGraph.tsx";
import { getTrace } from "../lib/api.ts";
import { formatDuration } from "../lib/format.ts";
import type { Trace } from "../lib/jaeger.ts";
import { Link, navigate, traceHref } from "../lib/router.tsx";
import { summarize } from "../lib/summary.ts";
import { buildModel, operationCounts } from "../lib/trace-model.ts";

type Loaded = { trace?: Trace; error?: string };

function useTrace(id: string): Loaded {
  const [state, setState] = useState<Loaded>({});
  useEffect(() => {
    setState({});
    if (!id) return;
    const ac = new AbortController();
    getTrace(id, ac.signal).then(
      (loaded) => setState({ trace: loaded.trace }),
      (e: Error) => e.name !== "AbortError" && setState({ error: e.message }),
    );
    return () => ac.abort();
  }, [id]);
  return state;
}

export function ComparePage(props: { a: string; b: string }) {
  const [a, setA] = useState(props.a);
  const [b, setB] = useState(props.b);
  const left = useTrace(props.a);
  const right = useTrace(props.b);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (a.trim() && b.trim()) navigate(traceHref(`${a.trim()}...${b.trim()}`));
  };
  return (
    <main className="page">
      <h1>Compare traces</h1>
      <form className="compare-form" onSubmit={submit}>
        <input
          aria-label="Trace A id"
          placeholder="trace id A"
          value={a}
          onChange={(e) => setA(e.target.value)}
        />
        <input
          aria-label="Trace B id"
          placeholder="trace id B"
          value={b}
          onChange={(e) => setB(e.target.value)}
        />
        <button type="submit" className="btn primary">
          Compare
        </button>
      </form>
      {(left.error || right.error) && (
        <div className="error-box" role="alert">
          {left.error && `A: ${left.error}. `}
          {right.error && `B: ${right.error}.`}
        </div>
      )}
      {left.trace && right.trace && <CompareTable a={left.trace} b={right.trace} />}
      {!props.a && !props.b && (
        <p className="muted">Tick two traces in the search results, or paste two trace ids.</p>
      )}
    </main>
  );
}

function CompareTable(props: { a: Trace; b: Trace }) {
  const ma = useMemo(() => buildModel(props.a), [props.a]);
  const mb = useMemo(() => buildModel(props.b), [props.b]);
  const rows = useMemo(() => {
    const ca = operationCounts(ma);
    const cb = operationCounts(mb);
    const keys = [...new Set([...ca.keys(), ...cb.keys()])];
    return keys
      .map((k) => ({ k, a: ca.get(k) ?? 0, b: cb.get(k) ?? 0 }))
      .sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a) || x.k.localeCompare(y.k));
  }, [ma, mb]);
  const sa = summarize(props.a);
  const sb = summarize(props.b);
  const changed = rows.filter((r) => r.a !== r.b).length;
  return (
    <>
      <table className="compare-summary">
        <thead>
          <tr>
            <th />
            <th>
              A <Link to={traceHref(sa.traceID)}>{sa.traceID.slice(0, 12)}</Link>
            </th>
            <th>
              B <Link to={traceHref(sb.traceID)}>{sb.traceID.slice(0, 12)}</Link>
            </th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Root</th>
            <td>{`${sa.rootService}: ${sa.rootOperation}`}</td>
            <td>{`${sb.rootService}: ${sb.rootOperation}`}</td>
          </tr>
          <tr>
            <th scope="row">Duration</th>
            <td>{formatDuration(sa.duration)}</td>
            <td>{formatDuration(sb.duration)}</td>
          </tr>
          <tr>
            <th scope="row">Spans</th>
            <td>{sa.spanCount}</td>
            <td>{sb.spanCount}</td>
          </tr>
          <tr>
            <th scope="row">Errors</th>
            <td>{sa.errorCount}</td>
            <td>{sb.errorCount}</td>
          </tr>
        </tbody>
      </table>
      <DiffGraph a={ma} b={mb} />
      <h2>
        Spans per operation <span className="muted">({changed} differ)</span>
      </h2>
      <table className="compare-ops" data-testid="compare-ops">
        <thead>
          <tr>
            <th>Service: operation</th>
            <th>A</th>
            <th>B</th>
            <th>B − A</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.k} className={r.b > r.a ? "more" : r.b < r.a ? "fewer" : undefined}>
              <td>{r.k}</td>
              <td>{r.a}</td>
              <td>{r.b}</td>
              <td>{r.b === r.a ? "=" : r.b > r.a ? `+${r.b - r.a}` : `${r.b - r.a}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
