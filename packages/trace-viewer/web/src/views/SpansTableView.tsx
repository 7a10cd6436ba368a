// The trace page's Spans Table view: every span as a row, sortable by any column and filtered by
// text (names and values, as the timeline's find), service and errors; virtualized, so 200,000
// rows scroll like 20. A row's click opens that span in the timeline.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef, useState } from "react";
import { SortHeader } from "../components/SortHeader.tsx";
import { formatDuration } from "../lib/format.ts";
import { compareBy, type SortState } from "../lib/sorting.ts";
import { serviceHue } from "../lib/summary.ts";
import { type SpanNode, searchSpans, type TraceModel, tagValue } from "../lib/trace-model.ts";
import { selfTimes } from "../lib/trace-stats.ts";

type Col = "service" | "operation" | "spanID" | "start" | "duration" | "self" | "status";
const ROW = 28;

export function SpansTableView(props: { model: TraceModel; onOpenSpan: (id: string) => void }) {
  const { model } = props;
  const self = useMemo(() => selfTimes(model), [model]);
  const [text, setText] = useState("");
  const [service, setService] = useState("");
  const [errorsOnly, setErrorsOnly] = useState(false);
  const [sort, setSort] = useState<SortState<Col>>({ key: "start", desc: false });
  const get: Record<Col, (n: SpanNode) => number | string> = useMemo(
    () => ({
      service: (n) => n.service,
      operation: (n) => n.span.operationName,
      spanID: (n) => n.span.spanID,
      start: (n) => n.span.startTime,
      duration: (n) => n.span.duration,
      self: (n) => self.get(n) ?? 0,
      status: (n) => (n.hasError ? 1 : 0),
    }),
    [self],
  );
  const rows = useMemo(() => {
    const hits = text.trim() ? searchSpans(model, text) : null;
    const list = model.nodes.filter(
      (n) =>
        (!service || n.service === service) &&
        (!errorsOnly || n.hasError) &&
        (!hits || hits.has(n.span.spanID)),
    );
    return list.sort(compareBy(get[sort.key], sort.desc));
  }, [model, text, service, errorsOnly, sort, get]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const h = (col: Col, label: string, numeric = false) => (
    <SortHeader col={col} label={label} sort={sort} onSort={setSort} numeric={numeric} />
  );
  return (
    <div className="view-body">
      <div className="view-tools">
        <input
          type="search"
          placeholder="Filter spans…"
          aria-label="Filter spans"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <select aria-label="Service" value={service} onChange={(e) => setService(e.target.value)}>
          <option value="">all services</option>
          {model.services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label className="inline check">
          <input
            type="checkbox"
            checked={errorsOnly}
            onChange={(e) => setErrorsOnly(e.target.checked)}
          />
          Errors only
        </label>
        <span className="muted" data-testid="spans-count">
          {rows.length} of {model.nodes.length} spans
        </span>
      </div>
      <div className="spans-table" ref={scroller} data-testid="spans-table">
        <table className="data-table">
          <thead>
            <tr>
              {h("service", "Service")}
              {h("operation", "Operation")}
              {h("spanID", "Span ID")}
              {h("start", "Start", true)}
              {h("duration", "Duration", true)}
              {h("self", "Self", true)}
              {h("status", "Status")}
            </tr>
          </thead>
          <tbody>
            {items.length > 0 && <tr className="spacer-row" style={{ height: items[0]!.start }} />}
            {items.map((item) => {
              const n = rows[item.index]!;
              return (
                <tr
                  key={n.span.spanID}
                  className={n.hasError ? "clickable has-error" : "clickable"}
                  data-testid="spans-row"
                  style={{ height: ROW }}
                  onClick={() => props.onOpenSpan(n.span.spanID)}
                >
                  <td>
                    <span
                      className="svc-dot"
                      style={{ background: `hsl(${serviceHue(n.service)} 60% 50%)` }}
                    />
                    {n.service}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="linkish"
                      onClick={(e) => {
                        e.stopPropagation();
                        props.onOpenSpan(n.span.spanID);
                      }}
                    >
                      {n.span.operationName}
                    </button>
                  </td>
                  <td className="mono">{n.span.spanID}</td>
                  <td className="num">+{formatDuration(n.span.startTime - model.start)}</td>
                  <td className="num">{formatDuration(n.span.duration)}</td>
                  <td className="num">{formatDuration(self.get(n) ?? 0)}</td>
                  <td className={n.hasError ? "error-text" : "muted"}>
                    {n.hasError ? "ERROR" : (tagValue(n.span.tags, "otel.status_code") ?? "UNSET")}
                  </td>
                </tr>
              );
            })}
            {items.length > 0 && (
              <tr
                className="spacer-row"
                style={{
                  height: Math.max(0, virtualizer.getTotalSize() - items[items.length - 1]!.end),
                }}
              />
            )}
          </tbody>
        </table>
        {rows.length === 0 && <p className="empty">No span matches these filters.</p>}
      </div>
    </div>
  );
}
