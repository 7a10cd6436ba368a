// The trace timeline (Gantt): one row per visible span, virtualized so a 10,000-span trace keeps
// only the rows on screen in the DOM. The minimap above shows the whole trace and the view.
import { useVirtualizer } from "@tanstack/react-virtual";
import {
  type KeyboardEvent,
  memo,
  type PointerEvent,
  type RefObject,
  useCallback,
  useEffect,
  useImperativeHandle,
  useRef,
  useState,
} from "react";
import { formatDuration } from "../lib/format.ts";
import { serviceHue } from "../lib/summary.ts";
import { type Segment, type SpanNode, stripes, type TraceModel } from "../lib/trace-model.ts";
import { Minimap } from "./Minimap.tsx";
import { SpanDetail } from "./SpanDetail.tsx";

export interface TimelineControl {
  /** Scrolls a span into view once it is among the rows (after its ancestors expand). */
  reveal(spanID: string): void;
}

const ROW = 26;
const MAX_INDENT_LEVELS = 40;

export function Timeline(props: {
  model: TraceModel;
  rows: SpanNode[];
  collapsed: ReadonlySet<string>;
  open: ReadonlySet<string>;
  matches: ReadonlySet<string> | null;
  activeMatch: string | undefined;
  critical: Map<string, Segment[]> | null;
  zoom: [number, number];
  onZoom: (z: [number, number]) => void;
  onToggleCollapse: (id: string) => void;
  onToggleOpen: (id: string) => void;
  onFocusSpan: (id: string, openDetail?: boolean) => void;
  controlRef: RefObject<TimelineControl | null>;
}) {
  const { model, rows, zoom } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [pending, setPending] = useState<{ id: string } | null>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (props.open.has(rows[i]?.span.spanID ?? "") ? 320 : ROW),
    getItemKey: (i) => rows[i]?.span.spanID ?? i,
    overscan: 12,
  });

  useImperativeHandle(props.controlRef, () => ({ reveal: (id) => setPending({ id }) }), []);
  useEffect(() => {
    if (!pending) return;
    const i = rows.findIndex((n) => n.span.spanID === pending.id);
    if (i >= 0) virtualizer.scrollToIndex(i, { align: "center" });
    setPending(null);
  }, [pending, rows, virtualizer]);

  // Keyboard moves between rows like a tree: ↑/↓, Home/End, → expands (or goes to the first
  // child), ← collapses (or goes to the parent). Enter/Space on a row opens its details.
  const latest = useRef({ rows, collapsed: props.collapsed, toggle: props.onToggleCollapse });
  latest.current = { rows, collapsed: props.collapsed, toggle: props.onToggleCollapse };
  const focusRow = useCallback(
    (index: number) => {
      const target = latest.current.rows[index];
      if (!target) return;
      virtualizer.scrollToIndex(index, { align: "auto" });
      const selector = `[data-span-id="${CSS.escape(target.span.spanID)}"] .span-label`;
      // The row may only be rendered after the virtualizer reacts to the scroll.
      const attempt = (tries: number) => {
        const el = scroller.current?.querySelector<HTMLElement>(selector);
        if (el) el.focus();
        else if (tries > 0) requestAnimationFrame(() => attempt(tries - 1));
      };
      attempt(6);
    },
    [virtualizer],
  );
  const onRowKey = useCallback(
    (e: KeyboardEvent, id: string) => {
      const { rows: rs, collapsed, toggle } = latest.current;
      const i = rs.findIndex((n) => n.span.spanID === id);
      const node = rs[i];
      if (!node) return;
      const hasKids = node.children.length > 0;
      switch (e.key) {
        case "ArrowDown":
          focusRow(i + 1);
          break;
        case "ArrowUp":
          focusRow(i - 1);
          break;
        case "Home":
          focusRow(0);
          break;
        case "End":
          focusRow(rs.length - 1);
          break;
        case "ArrowRight":
          if (hasKids && collapsed.has(id)) toggle(id);
          else if (hasKids) focusRow(i + 1);
          break;
        case "ArrowLeft":
          if (hasKids && !collapsed.has(id)) toggle(id);
          else if (node.parent) focusRow(rs.indexOf(node.parent));
          break;
        default:
          return;
      }
      e.preventDefault();
    },
    [focusRow],
  );

  // The name column's width, dragged (or arrowed) on the separator in the header.
  const [nameWidth, setNameWidth] = useState(34);
  const section = useRef<HTMLElement>(null);
  const resize = (e: PointerEvent<HTMLDivElement>) => {
    if (e.buttons !== 1 || !section.current) return;
    const r = section.current.getBoundingClientRect();
    setNameWidth(Math.min(70, Math.max(12, ((e.clientX - r.left) / r.width) * 100)));
  };

  const viewStart = model.start + zoom[0] * model.duration;
  const viewDur = Math.max(1, (zoom[1] - zoom[0]) * model.duration);
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  return (
    <section
      className="timeline"
      ref={section}
      style={{ ["--name-w" as string]: `${nameWidth.toFixed(1)}%` }}
    >
      <Minimap
        model={model}
        rows={rows}
        zoom={zoom}
        firstRow={first}
        lastRow={last}
        onZoom={props.onZoom}
        onScrollTo={(i) => virtualizer.scrollToIndex(i, { align: "start" })}
      />
      <div className="timeline-head">
        <div className="name-col">Service &amp; Operation</div>
        {/* biome-ignore lint/a11y/useSemanticElements: a focusable, draggable splitter is a widget; <hr> is not */}
        <div
          className="col-resizer"
          role="separator"
          aria-orientation="vertical"
          aria-label="Resize the name column"
          aria-valuemin={12}
          aria-valuemax={70}
          aria-valuenow={Math.round(nameWidth)}
          tabIndex={0}
          onPointerDown={(e) => e.currentTarget.setPointerCapture(e.pointerId)}
          onPointerMove={resize}
          onKeyDown={(e) => {
            const step = e.key === "ArrowLeft" ? -2 : e.key === "ArrowRight" ? 2 : 0;
            if (step) setNameWidth((w) => Math.min(70, Math.max(12, w + step)));
          }}
        />
        <div className="bar-col ticks">
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <span key={f} className="tick" style={{ left: `${f * 100}%` }}>
              {formatDuration(viewStart - model.start + f * viewDur)}
            </span>
          ))}
        </div>
      </div>
      <div className="timeline-scroll" ref={scroller} data-testid="timeline-scroll">
        {/* Rows sit in normal flow between two spacers (not absolutely placed), so a row whose
            details open pushes the next rows down in the same frame, before any re-measure. */}
        <div
          style={{
            paddingTop: items[0]?.start ?? 0,
            paddingBottom: Math.max(
              0,
              virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0),
            ),
          }}
        >
          {items.map((item) => {
            const node = rows[item.index]!;
            const id = node.span.spanID;
            return (
              <div
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                className="row-wrap"
              >
                <SpanRow
                  node={node}
                  model={model}
                  viewStart={viewStart}
                  viewDur={viewDur}
                  collapsed={props.collapsed.has(id)}
                  open={props.open.has(id)}
                  match={props.matches ? props.matches.has(id) : null}
                  active={props.activeMatch === id}
                  critical={props.critical?.get(id)}
                  onToggleCollapse={props.onToggleCollapse}
                  onToggleOpen={props.onToggleOpen}
                  onFocusSpan={props.onFocusSpan}
                  onKey={onRowKey}
                />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

const SpanRow = memo(function SpanRow(props: {
  node: SpanNode;
  model: TraceModel;
  viewStart: number;
  viewDur: number;
  collapsed: boolean;
  open: boolean;
  match: boolean | null;
  active: boolean;
  critical: Segment[] | undefined;
  onToggleCollapse: (id: string) => void;
  onToggleOpen: (id: string) => void;
  onFocusSpan: (id: string, openDetail?: boolean) => void;
  onKey: (e: KeyboardEvent, id: string) => void;
}) {
  const { node, viewStart, viewDur, critical } = props;
  const span = node.span;
  const id = span.spanID;
  const rawLeft = ((span.startTime - viewStart) / viewDur) * 100;
  const rawEnd = rawLeft + Math.max((span.duration / viewDur) * 100, 0.15);
  // Clipped to the zoomed window; a span wholly outside it draws no bar.
  const left = Math.min(Math.max(rawLeft, 0), 100);
  const width = Math.max(Math.min(rawEnd, 100) - left, 0);
  const inView = rawEnd >= 0 && rawLeft <= 100;
  const hue = serviceHue(node.service);
  const cls = [
    "span-row",
    node.hasError ? "error" : "",
    props.open ? "open" : "",
    props.match === true ? "match" : props.match === false ? "dim" : "",
    props.active ? "active" : "",
  ].join(" ");
  const label = `${node.service} ${span.operationName}`;
  // The duration label sits after the bar, in the column's right margin when the bar reaches the
  // end; inside the bar's end (on a dark chip, readable over the critical path) when a zoomed
  // view cuts the bar off; and for a span wholly outside the zoomed window, at the window's edge
  // on the side where the span is, with an arrow, in the muted text colour.
  // (A hair of tolerance: float error puts spans ending with the trace at 100.0000001%.)
  const labelSide = !inView
    ? rawLeft > 100
      ? "off-right"
      : "off-left"
    : rawEnd <= 100.001
      ? "after"
      : "inside";
  const labelStyle =
    labelSide === "after"
      ? { left: `${left + width}%` }
      : labelSide === "off-left"
        ? { left: 0 }
        : { right: 0 };
  const durText =
    labelSide === "off-left"
      ? `◂ ${formatDuration(span.duration)}`
      : labelSide === "off-right"
        ? `${formatDuration(span.duration)} ▸`
        : formatDuration(span.duration);
  return (
    <div className={cls} data-testid="span-row" data-span-id={id}>
      <div className="span-line" style={{ ["--hue" as string]: String(hue) }}>
        <div
          className="name-col span-name"
          style={{ paddingLeft: 6 + Math.min(node.depth, MAX_INDENT_LEVELS) * 14 }}
        >
          {node.children.length > 0 ? (
            <button
              type="button"
              className="twisty"
              aria-expanded={!props.collapsed}
              aria-label={
                props.collapsed ? `Expand children of ${label}` : `Collapse children of ${label}`
              }
              onClick={() => props.onToggleCollapse(id)}
            >
              {props.collapsed ? "▸" : "▾"}
              {props.collapsed && <span className="kids">{node.children.length}</span>}
            </button>
          ) : (
            <span className="twisty" />
          )}
          <button
            type="button"
            className="span-label"
            aria-expanded={props.open}
            onClick={() => props.onToggleOpen(id)}
            onKeyDown={(e) => props.onKey(e, id)}
            title={label}
          >
            {node.hasError && (
              <span className="err-icon" role="img" aria-label="error">
                !
              </span>
            )}
            <span className="svc">{node.service}</span>{" "}
            <span className="op">{span.operationName}</span>
          </button>
        </div>
        <button
          type="button"
          className="bar-col span-bar-cell"
          tabIndex={-1}
          aria-label={`${label}, ${formatDuration(span.duration)}`}
          title={`${formatDuration(span.duration)}, from +${formatDuration(span.startTime - props.model.start)}`}
          onClick={() => props.onToggleOpen(id)}
        >
          {inView && <span className="span-bar" style={{ left: `${left}%`, width: `${width}%` }} />}
          {inView &&
            critical &&
            stripes(critical, viewStart, viewDur).map(([a, b]) => (
              <span key={a} className="crit" style={{ left: `${a}%`, width: `${b - a}%` }} />
            ))}
          <span className={`span-dur ${labelSide}`} style={labelStyle} data-testid="span-dur">
            {durText}
          </span>
        </button>
      </div>
      {props.open && <SpanDetail node={node} model={props.model} onFocusSpan={props.onFocusSpan} />}
    </div>
  );
});
