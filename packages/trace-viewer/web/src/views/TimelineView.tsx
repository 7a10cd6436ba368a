// The trace page's Timeline view: search in the trace, critical path, expand or collapse, zoom,
// then the virtualized Gantt timeline with its minimap. `?span=ID` opens that span's details.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { SpanSearch } from "../components/SpanSearch.tsx";
import { Timeline, type TimelineControl } from "../components/Timeline.tsx";
import { criticalPath, searchSpans, type TraceModel, visibleNodes } from "../lib/trace-model.ts";

export function TimelineView(props: { model: TraceModel; initialSpan?: string }) {
  const { model } = props;
  const critical = useMemo(() => criticalPath(model), [model]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set());
  const [showCritical, setShowCritical] = useState(true);
  // Jaeger UI links carry the in-trace search as ?uiFind=….
  const [query, setQuery] = useState(
    () => new URLSearchParams(window.location.search).get("uiFind") ?? "",
  );
  const [keys, setKeys] = useState(false);
  const [matchIndex, setMatchIndex] = useState(0);
  const [zoom, setZoom] = useState<[number, number]>([0, 1]);
  const control = useRef<TimelineControl | null>(null);

  const rows = useMemo(() => visibleNodes(model, collapsed), [model, collapsed]);
  const matches = useMemo(() => searchSpans(model, query, keys), [model, query, keys]);
  const matchList = useMemo(
    () => model.nodes.filter((n) => matches.has(n.span.spanID)).map((n) => n.span.spanID),
    [model, matches],
  );

  /** Uncollapses a span's ancestors, then scrolls it into view. */
  const focusSpan = useCallback(
    (id: string, openDetail = false) => {
      const node = model.byId.get(id);
      if (!node) return;
      setCollapsed((c) => {
        let next: Set<string> | null = null;
        for (let p = node.parent; p; p = p.parent) {
          if (c.has(p.span.spanID)) {
            next ??= new Set(c);
            next.delete(p.span.spanID);
          }
        }
        return next ?? c;
      });
      if (openDetail) setOpen((o) => (o.has(id) ? o : new Set(o).add(id)));
      control.current?.reveal(id);
    },
    [model],
  );

  const initialSpan = props.initialSpan;
  useEffect(() => {
    if (initialSpan) focusSpan(initialSpan, true);
  }, [initialSpan, focusSpan]);

  const step = (delta: number) => {
    if (matchList.length === 0) return;
    const i = (matchIndex + delta + matchList.length) % matchList.length;
    setMatchIndex(i);
    focusSpan(matchList[i]!);
  };

  const toggleCollapse = useCallback((id: string) => {
    setCollapsed((c) => {
      const next = new Set(c);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }, []);
  const toggleOpen = useCallback((id: string) => {
    setOpen((o) => {
      const next = new Set(o);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }, []);

  return (
    <>
      <div className="view-tools">
        <SpanSearch
          query={query}
          onQuery={(q) => {
            setQuery(q);
            setMatchIndex(0);
          }}
          keys={keys}
          onKeys={(k) => {
            setKeys(k);
            setMatchIndex(0);
          }}
          count={matchList.length}
          index={matchIndex}
          onStep={step}
        />
        <label className="inline check">
          <input
            type="checkbox"
            checked={showCritical}
            onChange={(e) => setShowCritical(e.target.checked)}
          />
          Critical path
        </label>
        <button type="button" className="btn" onClick={() => setCollapsed(new Set())}>
          Expand all
        </button>
        <button
          type="button"
          className="btn"
          onClick={() =>
            setCollapsed(
              new Set(model.nodes.filter((n) => n.children.length > 0).map((n) => n.span.spanID)),
            )
          }
        >
          Collapse all
        </button>
        {(zoom[0] > 0 || zoom[1] < 1) && (
          <button type="button" className="btn" onClick={() => setZoom([0, 1])}>
            Reset zoom
          </button>
        )}
      </div>
      <Timeline
        model={model}
        rows={rows}
        collapsed={collapsed}
        open={open}
        matches={query ? matches : null}
        activeMatch={matchList[matchIndex]}
        critical={showCritical ? critical : null}
        zoom={zoom}
        onZoom={setZoom}
        onToggleCollapse={toggleCollapse}
        onToggleOpen={toggleOpen}
        onFocusSpan={focusSpan}
        controlRef={control}
      />
    </>
  );
}
