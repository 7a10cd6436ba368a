// /trace/{id}: header with the trace's figures and tools (search in trace, critical path, expand
// or collapse, JSON download), then the virtualized timeline with its minimap.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { SpanSearch } from "../components/SpanSearch.tsx";
import { Timeline, type TimelineControl } from "../components/Timeline.tsx";
import { getTrace, traceFileText } from "../lib/api.ts";
import { formatDuration, formatTime } from "../lib/format.ts";
import type { Trace } from "../lib/jaeger.ts";
import { buildModel, criticalPath, searchSpans, visibleNodes } from "../lib/trace-model.ts";

type State =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "done"; trace: Trace };

export function TracePage(props: { traceId: string }) {
  const [state, setState] = useState<State>({ kind: "loading" });
  useEffect(() => {
    const ac = new AbortController();
    getTrace(props.traceId, ac.signal).then(
      (trace) => setState({ kind: "done", trace }),
      (e: Error) => e.name !== "AbortError" && setState({ kind: "error", message: e.message }),
    );
    return () => ac.abort();
  }, [props.traceId]);

  if (state.kind === "loading") return <main className="page empty">Loading trace…</main>;
  if (state.kind === "error")
    return (
      <main className="page narrow">
        <div className="error-box" role="alert">
          {state.message}
        </div>
      </main>
    );
  return <TraceView trace={state.trace} />;
}

function TraceView(props: { trace: Trace }) {
  const model = useMemo(() => buildModel(props.trace), [props.trace]);
  const critical = useMemo(() => criticalPath(model), [model]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set());
  const [showCritical, setShowCritical] = useState(true);
  // Jaeger UI links carry the in-trace search as ?uiFind=….
  const [query, setQuery] = useState(
    () => new URLSearchParams(window.location.search).get("uiFind") ?? "",
  );
  const [matchIndex, setMatchIndex] = useState(0);
  const [zoom, setZoom] = useState<[number, number]>([0, 1]);
  const control = useRef<TimelineControl | null>(null);
  const [ready, setReady] = useState(false);

  const rows = useMemo(() => visibleNodes(model, collapsed), [model, collapsed]);
  const matches = useMemo(() => searchSpans(model, query), [model, query]);
  const matchList = useMemo(
    () => model.nodes.filter((n) => matches.has(n.span.spanID)).map((n) => n.span.spanID),
    [model, matches],
  );

  useEffect(() => {
    // Tells tests and the page benchmark when the timeline is on screen and usable.
    const raf = requestAnimationFrame(() => {
      document.documentElement.dataset.traceReady = String(performance.now());
      setReady(true);
    });
    return () => {
      cancelAnimationFrame(raf);
      delete document.documentElement.dataset.traceReady;
    };
  }, []);

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

  const download = () => {
    const url = URL.createObjectURL(
      new Blob([traceFileText(props.trace)], { type: "application/json" }),
    );
    const a = document.createElement("a");
    a.href = url;
    a.download = `trace-${model.trace.traceID.replace(/[^0-9a-zA-Z]/g, "").slice(0, 32)}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const root = model.roots[0];
  useEffect(() => {
    document.title = `${root?.service ?? "?"}: ${root?.span.operationName ?? ""} · Periscope`;
  }, [root]);
  return (
    <main className="trace-page">
      {ready && <span data-testid="trace-ready" hidden />}
      <section className="trace-header">
        <div className="trace-heading">
          <h1>
            <span className="svc">{root?.service ?? "?"}:</span> {root?.span.operationName ?? ""}
            <span className="trace-id" data-testid="trace-id">
              {model.trace.traceID}
            </span>
          </h1>
          <dl className="trace-stats">
            <div>
              <dt>Start</dt>
              <dd>{formatTime(model.start)}</dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{formatDuration(model.duration)}</dd>
            </div>
            <div>
              <dt>Services</dt>
              <dd>{model.services.length}</dd>
            </div>
            <div>
              <dt>Depth</dt>
              <dd>{model.maxDepth + 1}</dd>
            </div>
            <div>
              <dt>Spans</dt>
              <dd data-testid="span-total">{model.nodes.length}</dd>
            </div>
            <div>
              <dt>Errors</dt>
              <dd className={model.errorCount > 0 ? "error-text" : undefined}>
                {model.errorCount}
              </dd>
            </div>
          </dl>
        </div>
        <div className="trace-tools">
          <SpanSearch
            query={query}
            onQuery={(q) => {
              setQuery(q);
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
          <button type="button" className="btn" onClick={download} data-testid="download">
            Download JSON
          </button>
        </div>
      </section>
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
    </main>
  );
}
