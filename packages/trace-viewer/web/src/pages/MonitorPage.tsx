// /monitor (Jaeger UI's Monitor tab): RED metrics of a service, from the viewer's own span
// aggregates through Jaeger's /api/metrics/* (no Prometheus, no Collector): latency p50/p95/p99,
// error rate and request rate over time, for the service or one of its operations, and a table
// of its operations. A click on a chart opens the traces of that moment.
import { useEffect, useMemo, useState } from "react";
import { type ChartSeries, MetricChart } from "../components/MetricChart.tsx";
import { SortHeader } from "../components/SortHeader.tsx";
import { getServices } from "../lib/api.ts";
import { formatDuration } from "../lib/format.ts";
import { getMetric, type MetricQuery, type Series, seriesMean } from "../lib/metrics-api.ts";
import { navigate } from "../lib/router.tsx";
import { compareBy, type SortState } from "../lib/sorting.ts";

const TIMEFRAMES: Array<[string, number]> = [
  ["1h", 3600e3],
  ["2h", 2 * 3600e3],
  ["6h", 6 * 3600e3],
  ["12h", 12 * 3600e3],
  ["24h", 24 * 3600e3],
  ["2d", 2 * 86400e3],
];
const KINDS = ["server", "client", "producer", "consumer", "internal", "unspecified"];
const QUANTILES = [0.5, 0.95, 0.99] as const;

interface Metrics {
  latency: Array<Map<string, Series>>;
  calls: Map<string, Series>;
  errors: Map<string, Series>;
  service: { latency: Series[]; calls: Series; errors: Series };
}

type State =
  | { kind: "idle" | "loading" }
  | { kind: "error"; message: string }
  | { kind: "done"; m: Metrics };

const ms = (v: number) => formatDuration(v * 1000);
// Quiet services (a few calls an hour) read better per minute than as 0.00/s.
const perSec = (v: number) =>
  v === 0
    ? "0/s"
    : v < 0.1
      ? `${(v * 60).toPrecision(2)}/min`
      : `${v < 10 ? v.toFixed(2) : v.toFixed(0)}/s`;
const percent = (v: number) => `${(100 * v).toFixed(v > 0 && v < 0.01 ? 2 : 1)}%`;

/** The end of the current minute: the viewer counts whole minutes, so points that fall on minute
 * boundaries hold exactly the minutes before them (and a click finds exactly their traces). */
export const minuteEnd = (ms: number) => Math.ceil(ms / 60e3) * 60e3;

/** One point a minute up to 2 hours, then coarser: about 120 points per chart. */
export function stepFor(lookbackMs: number): number {
  return Math.max(60e3, Math.ceil(lookbackMs / 120 / 60e3) * 60e3);
}

type Col = "name" | "latency" | "rate" | "errors" | "impact";

export function MonitorPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const [services, setServices] = useState<string[] | null>(null);
  const service = q.get("service") ?? "";
  const spanKind = KINDS.includes(q.get("spanKind") ?? "") ? q.get("spanKind")! : "server";
  const frame = TIMEFRAMES.find(([l]) => l === q.get("lookback")) ?? TIMEFRAMES[0]!;
  const operation = q.get("operation") ?? "";
  const [state, setState] = useState<State>({ kind: "idle" });
  const [sort, setSort] = useState<SortState<Col>>({ key: "impact", desc: true });
  const [endTs, setEndTs] = useState(() => minuteEnd(Date.now()));
  const step = stepFor(frame[1]);
  const range = useMemo((): [number, number] => [endTs - frame[1], endTs], [endTs, frame]);

  const go = (changes: Record<string, string>) => {
    const p = new URLSearchParams(q);
    for (const [k, v] of Object.entries(changes)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    navigate(`/monitor?${p}`, true);
  };

  useEffect(() => {
    document.title = "Monitor · Periscope";
    getServices().then(setServices, () => setServices([]));
  }, []);
  useEffect(() => {
    if (!service && services && services.length > 0) go({ service: services[0]! });
  });

  useEffect(() => {
    if (!service) return;
    const ac = new AbortController();
    const base: MetricQuery = { service, spanKind, endTs, lookback: frame[1], step, ratePer: step };
    const grouped = { ...base, groupByOperation: true };
    const one = (m: Map<string, Series>) => m.get("") ?? [];
    setState({ kind: "loading" });
    Promise.all([
      ...QUANTILES.map((quantile) => getMetric("latencies", { ...grouped, quantile }, ac.signal)),
      getMetric("calls", grouped, ac.signal),
      getMetric("errors", grouped, ac.signal),
      ...QUANTILES.map((quantile) => getMetric("latencies", { ...base, quantile }, ac.signal)),
      getMetric("calls", base, ac.signal),
      getMetric("errors", base, ac.signal),
    ]).then(
      (r) =>
        setState({
          kind: "done",
          m: {
            latency: r.slice(0, 3),
            calls: r[3]!,
            errors: r[4]!,
            service: { latency: r.slice(5, 8).map(one), calls: one(r[8]!), errors: one(r[9]!) },
          },
        }),
      (e: Error) => e.name !== "AbortError" && setState({ kind: "error", message: e.message }),
    );
    return () => ac.abort();
  }, [service, spanKind, frame, step, endTs]);

  const m = state.kind === "done" ? state.m : null;
  const pickOp = m && operation && m.calls.has(operation) ? operation : "";
  const charts = useMemo(() => {
    if (!m) return null;
    const lat = pickOp ? m.latency.map((x) => x.get(pickOp) ?? []) : m.service.latency;
    const colours = ["#2f9e44", "#3a63d8", "#d08700"];
    return {
      latency: QUANTILES.map(
        (qq, i): ChartSeries => ({
          label: `p${qq * 100}`,
          data: lat[i] ?? [],
          colour: colours[i]!,
        }),
      ),
      errors: [
        {
          label: "errors",
          data: pickOp ? (m.errors.get(pickOp) ?? []) : m.service.errors,
          colour: "#d93a3a",
        },
      ],
      calls: [
        {
          label: "requests",
          data: pickOp ? (m.calls.get(pickOp) ?? []) : m.service.calls,
          colour: "#3a63d8",
        },
      ],
    };
  }, [m, pickOp]);

  const ops = useMemo(() => {
    if (!m) return [];
    const rows = [...m.calls.keys()].map((name) => ({
      name,
      latency: seriesMean(m.latency[1]?.get(name)) ?? 0,
      rate: seriesMean(m.calls.get(name)) ?? 0,
      errors: seriesMean(m.errors.get(name)) ?? 0,
      impact: 0,
    }));
    // Jaeger's impact: latency times rate, relative to the operation where it is largest.
    const top = Math.max(0, ...rows.map((r) => r.latency * r.rate));
    for (const r of rows) r.impact = top > 0 ? (r.latency * r.rate) / top : 0;
    return rows.sort(compareBy((r) => r[sort.key], sort.desc));
  }, [m, sort]);

  /** The traces behind a point: the step that ends at `t`, for this service (and operation). */
  const openTraces = (t: number, errorsOnly = false) => {
    const p = new URLSearchParams({ service, lookback: "custom" });
    if (pickOp) p.set("operation", pickOp);
    p.set("start", String((t - step) * 1000));
    p.set("end", String(t * 1000));
    if (errorsOnly) p.set("tags", JSON.stringify({ error: "true" }));
    p.set("limit", "100");
    navigate(`/search?${p}`);
  };

  const h = (col: Col, label: string) => (
    <SortHeader col={col} label={label} sort={sort} onSort={setSort} numeric={col !== "name"} />
  );
  return (
    <main className="page wide">
      <h1>Monitor</h1>
      <div className="view-tools flush">
        <label className="inline">
          Service
          <select
            aria-label="Service"
            value={service}
            onChange={(e) => go({ service: e.target.value, operation: "" })}
          >
            {!service && (
              <option value="">{services === null ? "Loading…" : "no services yet"}</option>
            )}
            {(services ?? []).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          Span kind
          <select
            aria-label="Span kind"
            value={spanKind}
            onChange={(e) => go({ spanKind: e.target.value })}
          >
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          Timeframe
          <select
            aria-label="Timeframe"
            value={frame[0]}
            onChange={(e) => go({ lookback: e.target.value })}
          >
            {TIMEFRAMES.map(([l]) => (
              <option key={l} value={l}>
                Last {l}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn" onClick={() => setEndTs(minuteEnd(Date.now()))}>
          Refresh
        </button>
        <span className="muted">
          One point per {step / 60e3} min; click a point for its traces.
        </span>
      </div>
      {state.kind === "loading" && <p className="empty">Loading metrics…</p>}
      {state.kind === "error" && (
        <div className="error-box" role="alert">
          {state.message}
        </div>
      )}
      {m && charts && (
        <>
          <h2 data-testid="monitor-scope">
            {pickOp ? (
              <>
                {service}: {pickOp}{" "}
                <button type="button" className="btn small" onClick={() => go({ operation: "" })}>
                  All operations
                </button>
              </>
            ) : (
              `${service}, all ${spanKind} operations`
            )}
          </h2>
          <div className="metric-grid">
            <MetricChart
              title="Latency"
              unit="p50, p95, p99"
              series={charts.latency}
              format={ms}
              range={range}
              onPick={(t) => openTraces(t)}
              testId="chart-latency"
            />
            <MetricChart
              title="Error rate"
              unit="% of requests"
              series={charts.errors}
              format={percent}
              range={range}
              onPick={(t) => openTraces(t, true)}
              testId="chart-errors"
            />
            <MetricChart
              title="Request rate"
              unit="requests per second"
              series={charts.calls}
              format={perSec}
              range={range}
              onPick={(t) => openTraces(t)}
              testId="chart-calls"
            />
          </div>
          <h2>Operations</h2>
          {ops.length === 0 ? (
            <p className="muted">
              No {spanKind} spans of {service} in the last {frame[0]}.
            </p>
          ) : (
            <table className="data-table flush" data-testid="ops-table">
              <thead>
                <tr>
                  {h("name", "Name")}
                  {h("latency", "P95 latency")}
                  {h("rate", "Request rate")}
                  {h("errors", "Error rate")}
                  {h("impact", "Impact")}
                </tr>
              </thead>
              <tbody>
                {ops.map((o) => (
                  <tr
                    key={o.name}
                    className={o.name === pickOp ? "clickable selected-row" : "clickable"}
                    onClick={() => go({ operation: o.name })}
                  >
                    <td>
                      <button
                        type="button"
                        className="linkish"
                        onClick={(e) => {
                          e.stopPropagation();
                          go({ operation: o.name });
                        }}
                      >
                        {o.name}
                      </button>
                    </td>
                    <td className="num">{ms(o.latency)}</td>
                    <td className="num">{perSec(o.rate)}</td>
                    <td className={o.errors > 0 ? "num error-text" : "num"}>{percent(o.errors)}</td>
                    <td className="num">
                      <span
                        className="impact-bar"
                        style={{ width: `${Math.round(o.impact * 60)}px` }}
                      />
                      {o.impact.toFixed(2)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </main>
  );
}
