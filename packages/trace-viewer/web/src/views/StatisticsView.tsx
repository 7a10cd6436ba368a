// The trace page's Statistics view: per service and operation, count, errors, total, average,
// minimum and maximum duration and self time, optionally grouped further by a tag's values.
// Every column sorts.
import { useMemo, useState } from "react";
import { SortHeader } from "../components/SortHeader.tsx";
import { formatDuration } from "../lib/format.ts";
import { compareBy, type SortState } from "../lib/sorting.ts";
import { serviceHue } from "../lib/summary.ts";
import type { TraceModel } from "../lib/trace-model.ts";
import { type OperationStats, operationStats, tagKeys } from "../lib/trace-stats.ts";

type Col =
  | "service"
  | "operation"
  | "tag"
  | "count"
  | "errors"
  | "total"
  | "avg"
  | "min"
  | "max"
  | "self"
  | "selfAvg"
  | "selfPct";

const GET: Record<Col, (s: OperationStats) => number | string> = {
  service: (s) => s.service,
  operation: (s) => s.operation,
  tag: (s) => s.tagValue ?? "",
  count: (s) => s.count,
  errors: (s) => s.errors,
  total: (s) => s.total,
  avg: (s) => s.total / s.count,
  min: (s) => s.min,
  max: (s) => s.max,
  self: (s) => s.selfTotal,
  selfAvg: (s) => s.selfTotal / s.count,
  selfPct: (s) => s.selfTotal,
};

export function StatisticsView(props: { model: TraceModel }) {
  const { model } = props;
  const [tag, setTag] = useState("");
  const [sort, setSort] = useState<SortState<Col>>({ key: "self", desc: true });
  const keys = useMemo(() => tagKeys(model), [model]);
  const stats = useMemo(() => operationStats(model, tag || undefined), [model, tag]);
  const rows = useMemo(() => [...stats].sort(compareBy(GET[sort.key], sort.desc)), [stats, sort]);
  const traceDur = Math.max(1, model.duration);
  const h = (col: Col, label: string, numeric = true) => (
    <SortHeader col={col} label={label} sort={sort} onSort={setSort} numeric={numeric} />
  );
  return (
    <div className="view-body scroll">
      <div className="view-tools">
        <label className="inline">
          Group by tag
          <select value={tag} onChange={(e) => setTag(e.target.value)} aria-label="Group by tag">
            <option value="">(none: service and operation)</option>
            {keys.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          {rows.length} groups · self time is a span's duration not covered by its children
        </span>
      </div>
      <table className="data-table" data-testid="stats-table">
        <thead>
          <tr>
            {h("service", "Service", false)}
            {h("operation", "Operation", false)}
            {tag && h("tag", tag, false)}
            {h("count", "Count")}
            {h("errors", "Errors")}
            {h("total", "Total")}
            {h("avg", "Avg")}
            {h("min", "Min")}
            {h("max", "Max")}
            {h("self", "Self total")}
            {h("selfAvg", "Self avg")}
            {h("selfPct", "Self % of trace")}
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.key} className={s.errors > 0 ? "has-error" : undefined}>
              <td>
                <span
                  className="svc-dot"
                  style={{ background: `hsl(${serviceHue(s.service)} 60% 50%)` }}
                />
                {s.service}
              </td>
              <td>{s.operation}</td>
              {tag && (
                <td>{s.tagValue === "" ? <span className="muted">(none)</span> : s.tagValue}</td>
              )}
              <td className="num">{s.count}</td>
              <td className={s.errors > 0 ? "num error-text" : "num"}>{s.errors}</td>
              <td className="num">{formatDuration(s.total)}</td>
              <td className="num">{formatDuration(s.total / s.count)}</td>
              <td className="num">{formatDuration(s.min)}</td>
              <td className="num">{formatDuration(s.max)}</td>
              <td className="num">{formatDuration(s.selfTotal)}</td>
              <td className="num">{formatDuration(s.selfTotal / s.count)}</td>
              <td className="num">{((100 * s.selfTotal) / traceDur).toFixed(1)}%</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
