// Search results: the scatter plot above a sortable list; two ticked traces can be compared.
import { useMemo, useState } from "react";
import { formatDuration, formatRelative, formatTime } from "../lib/format.ts";
import { Link, navigate, traceHref } from "../lib/router.tsx";
import {
  SORTS,
  type SortKey,
  serviceHue,
  sortSummaries,
  type TraceSummary,
} from "../lib/summary.ts";
import { ScatterPlot } from "./ScatterPlot.tsx";

export function SearchResults(props: {
  summaries: TraceSummary[];
  title?: string;
  /** Per trace id, the file an uploaded trace came from. */
  origins?: Map<string, string>;
  empty?: string;
}) {
  const summaries = props.summaries;
  const [sort, setSort] = useState<SortKey>("recent");
  const [picked, setPicked] = useState<string[]>([]);
  const sorted = useMemo(() => sortSummaries(summaries, sort), [summaries, sort]);
  const maxDuration = Math.max(1, ...summaries.map((s) => s.duration));
  const now = Date.now();

  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));

  if (summaries.length === 0) {
    return (
      <div className="empty">
        <h2>No traces found</h2>
        <p>
          {props.empty ??
            "Try a longer lookback, fewer tags, or check that your app sends OTLP to the viewer."}
        </p>
      </div>
    );
  }
  return (
    <div className="results">
      <ScatterPlot summaries={summaries} />
      <div className="results-bar">
        <strong data-testid="result-count">
          {props.title ? `${props.title}: ` : ""}
          {summaries.length} {summaries.length === 1 ? "trace" : "traces"}
        </strong>
        <div className="results-actions">
          <button
            type="button"
            className="btn"
            disabled={picked.length !== 2}
            onClick={() => navigate(traceHref(`${picked[0]}...${picked[1]}`))}
            title="Tick two traces to compare them"
          >
            Compare {picked.length}/2
          </button>
          <label className="inline">
            Sort
            <select
              value={sort}
              onChange={(e) => setSort(e.target.value as SortKey)}
              aria-label="Sort traces"
            >
              {SORTS.map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <ul className="trace-list">
        {sorted.map((s) => (
          <li key={s.traceID} className={s.errorCount > 0 ? "trace-item has-error" : "trace-item"}>
            <input
              type="checkbox"
              aria-label={`Select trace ${s.traceID} to compare`}
              checked={picked.includes(s.traceID)}
              onChange={() => toggle(s.traceID)}
            />
            <div className="trace-item-body">
              <div className="trace-item-head">
                <Link to={traceHref(s.traceID)} className="trace-title">
                  <span className="svc">{s.rootService}:</span> {s.rootOperation}
                  <span className="trace-id"> {s.traceID.slice(0, 7)}</span>
                </Link>
                <span className="trace-duration">{formatDuration(s.duration)}</span>
              </div>
              <div
                className="duration-bar"
                style={{ width: `${Math.max(0.5, (100 * s.duration) / maxDuration)}%` }}
              />
              <div className="trace-item-meta">
                <span className="chip">{s.spanCount} spans</span>
                {s.errorCount > 0 && (
                  <span className="chip error">
                    {s.errorCount} {s.errorCount === 1 ? "error" : "errors"}
                  </span>
                )}
                {s.services.slice(0, 6).map(([name, n]) => (
                  <span
                    key={name}
                    className="chip svc-chip"
                    style={{ borderLeftColor: `hsl(${serviceHue(name)} 60% 50%)` }}
                  >
                    {name} ({n})
                  </span>
                ))}
                {props.origins?.has(s.traceID) && (
                  <span className="chip origin">from {props.origins.get(s.traceID)}</span>
                )}
                <span className="spacer" />
                <span className="muted" title={formatTime(s.start)}>
                  {formatRelative(now, s.start)} · {formatTime(s.start)}
                </span>
              </div>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
