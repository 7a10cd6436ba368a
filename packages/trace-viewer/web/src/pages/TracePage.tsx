// /trace/{id}: the trace's figures and the view switcher (Timeline, Graph, Statistics, Spans,
// Flamegraph, JSON; deep-linked as ?view=…), then the chosen view. Uploaded traces say where
// they came from.
import { useEffect, useMemo, useState } from "react";
import { ViewSwitcher } from "../components/ViewSwitcher.tsx";
import { getTrace, type LoadedTrace, traceFileText } from "../lib/api.ts";
import { formatDuration, formatTime } from "../lib/format.ts";
import { navigate } from "../lib/router.tsx";
import { buildModel, type TraceModel } from "../lib/trace-model.ts";
import { FlamegraphView } from "../views/FlamegraphView.tsx";
import { JsonView } from "../views/JsonView.tsx";
import { SpansTableView } from "../views/SpansTableView.tsx";
import { StatisticsView } from "../views/StatisticsView.tsx";
import { TimelineView } from "../views/TimelineView.tsx";
import { TraceGraphView } from "../views/TraceGraphView.tsx";

export const VIEWS = [
  ["timeline", "Timeline"],
  ["graph", "Trace Graph"],
  ["statistics", "Statistics"],
  ["table", "Spans Table"],
  ["flamegraph", "Flamegraph"],
  ["json", "JSON"],
] as const;
export type ViewName = (typeof VIEWS)[number][0];

type State =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "done"; loaded: LoadedTrace };

export function TracePage(props: { traceId: string; query: URLSearchParams }) {
  const [state, setState] = useState<State>({ kind: "loading" });
  useEffect(() => {
    const ac = new AbortController();
    getTrace(props.traceId, ac.signal).then(
      (loaded) => setState({ kind: "done", loaded }),
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
  return <TraceView loaded={state.loaded} query={props.query} />;
}

function TraceView(props: { loaded: LoadedTrace; query: URLSearchParams }) {
  const { trace, upload } = props.loaded;
  const model = useMemo(() => {
    const m = buildModel(trace);
    performance.mark("trace-model");
    return m;
  }, [trace]);
  const raw = props.query.get("view") ?? "timeline";
  const view: ViewName = VIEWS.some(([v]) => v === raw) ? (raw as ViewName) : "timeline";
  const [ready, setReady] = useState(false);

  useEffect(() => {
    // Tells tests and the page benchmark when the first view is on screen and usable.
    const raf = requestAnimationFrame(() => {
      document.documentElement.dataset.traceReady = String(performance.now());
      setReady(true);
    });
    return () => {
      cancelAnimationFrame(raf);
      delete document.documentElement.dataset.traceReady;
    };
  }, []);

  const setView = (v: ViewName, span?: string) => {
    const q = new URLSearchParams(window.location.search);
    if (v === "timeline") q.delete("view");
    else q.set("view", v);
    if (span) q.set("span", span);
    else q.delete("span");
    const s = q.toString();
    navigate(`${window.location.pathname}${s ? `?${s}` : ""}`);
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([traceFileText(trace)], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `trace-${trace.traceID.replace(/[^0-9a-zA-Z]/g, "").slice(0, 32)}.json`;
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
              {trace.traceID}
            </span>
          </h1>
          {upload && (
            <p className="upload-origin" data-testid="upload-origin">
              Opened from <strong>{upload.fileName}</strong> on{" "}
              {formatTime(upload.uploadedAt * 1000)}; kept in this browser, not in the viewer.
            </p>
          )}
          <TraceStats model={model} />
        </div>
        <div className="trace-tools">
          <ViewSwitcher views={VIEWS} current={view} onPick={(v) => setView(v as ViewName)} />
          <span className="spacer" />
          <button type="button" className="btn" onClick={download} data-testid="download">
            Download JSON
          </button>
        </div>
      </section>
      {view === "timeline" && (
        <TimelineView model={model} initialSpan={props.query.get("span") ?? undefined} />
      )}
      {view === "graph" && (
        <TraceGraphView model={model} onOpenSpan={(id) => setView("timeline", id)} />
      )}
      {view === "statistics" && <StatisticsView model={model} />}
      {view === "table" && (
        <SpansTableView model={model} onOpenSpan={(id) => setView("timeline", id)} />
      )}
      {view === "flamegraph" && (
        <FlamegraphView model={model} onOpenSpan={(id) => setView("timeline", id)} />
      )}
      {view === "json" && <JsonView trace={trace} uploaded={upload !== undefined} />}
    </main>
  );
}

function TraceStats(props: { model: TraceModel }) {
  const { model } = props;
  return (
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
        <dd className={model.errorCount > 0 ? "error-text" : undefined}>{model.errorCount}</dd>
      </div>
    </dl>
  );
}
