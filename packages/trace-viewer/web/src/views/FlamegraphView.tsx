// The trace page's Flamegraph view: an icicle of the span tree by time (root on top, children
// below, x = when, width = how long) on one canvas, so 200,000 spans draw in one pass. Hover says
// which span; a click zooms to it (it fills the width); Reset zooms out. Labels are canvas text.
import { type MouseEvent, useEffect, useMemo, useRef, useState } from "react";
import { formatDuration } from "../lib/format.ts";
import { serviceHue } from "../lib/summary.ts";
import type { SpanNode, TraceModel } from "../lib/trace-model.ts";
import { selfTimes } from "../lib/trace-stats.ts";

const ROW = 20;
const MAX_ROWS = 1500;

export function FlamegraphView(props: { model: TraceModel; onOpenSpan: (id: string) => void }) {
  const { model } = props;
  const self = useMemo(() => selfTimes(model), [model]);
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [focus, setFocus] = useState<SpanNode | null>(null);
  const [hover, setHover] = useState<SpanNode | null>(null);
  const depthRows = Math.min(model.maxDepth + 1, MAX_ROWS);
  const height = depthRows * ROW;
  // The window shown: the focused span's interval, or the whole trace.
  const t0 = focus ? focus.span.startTime : model.start;
  const t1 = focus ? Math.max(focus.end, t0 + 1) : Math.max(model.end, model.start + 1);
  const baseDepth = focus ? focus.depth : 0;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const c = canvas.current;
    if (!c || width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    const scale = width / (t1 - t0);
    const dark = document.documentElement.dataset.theme === "dark";
    for (const n of model.nodes) {
      const row = n.depth - baseDepth;
      if (row < 0 || row >= depthRows) continue;
      if (n.end < t0 || n.span.startTime > t1) continue;
      const x = Math.max(0, (n.span.startTime - t0) * scale);
      const x2 = Math.min(width, (n.end - t0) * scale);
      const w = x2 - x;
      if (w < 0.5) continue;
      const y = row * ROW;
      ctx.fillStyle = n.hasError
        ? "hsl(0 70% 55%)"
        : `hsl(${serviceHue(n.service)} 55% ${dark ? 40 : 62}%)`;
      ctx.fillRect(x, y + 1, Math.max(w - 1, 0.5), ROW - 2);
      if (w > 40) {
        ctx.fillStyle = dark || n.hasError ? "#fff" : "#111";
        const label = `${n.span.operationName} (${formatDuration(n.span.duration)})`;
        const max = Math.floor((w - 8) / 6.2);
        ctx.fillText(
          label.length > max ? `${label.slice(0, max - 1)}…` : label,
          x + 4,
          y + ROW / 2,
        );
      }
    }
  }, [model, width, height, t0, t1, baseDepth, depthRows]);

  /** The span drawn under a point of the canvas. */
  const hit = (e: MouseEvent<HTMLCanvasElement>): SpanNode | null => {
    const r = e.currentTarget.getBoundingClientRect();
    const row = Math.floor((e.clientY - r.top) / ROW);
    const t = t0 + ((e.clientX - r.left) / r.width) * (t1 - t0);
    let best: SpanNode | null = null;
    for (const n of model.nodes) {
      if (n.depth - baseDepth !== row) continue;
      if (n.span.startTime <= t && t <= n.end) {
        // Prefer a span inside the focused one (siblings of the focus are off-window).
        if (!best || n.span.duration < best.span.duration) best = n;
      }
    }
    return best;
  };

  const shown = hover ?? focus;
  return (
    <div className="view-body">
      <div className="view-tools">
        {focus ? (
          <>
            <span data-testid="flame-focus">
              Zoomed to <strong>{focus.span.operationName}</strong>{" "}
              <span className="muted">
                {focus.service} · {formatDuration(focus.span.duration)}
              </span>
            </span>
            <button
              type="button"
              className="btn"
              onClick={() => setFocus(focus.parent)}
              disabled={!focus.parent}
            >
              Up
            </button>
            <button type="button" className="btn" onClick={() => setFocus(null)}>
              Reset zoom
            </button>
          </>
        ) : (
          <span className="muted">Click a span to zoom to it.</span>
        )}
        {focus && (
          <button type="button" className="btn" onClick={() => props.onOpenSpan(focus.span.spanID)}>
            Open in timeline
          </button>
        )}
        {model.maxDepth + 1 > MAX_ROWS && (
          <span className="warn-text">Spans deeper than {MAX_ROWS} levels are not drawn.</span>
        )}
      </div>
      <div className="flame-hover" data-testid="flame-hover" aria-live="polite">
        {shown ? (
          <>
            <strong>{shown.span.operationName}</strong>{" "}
            <span className="muted">
              {shown.service} · {formatDuration(shown.span.duration)} · self{" "}
              {formatDuration(self.get(shown) ?? 0)} · +
              {formatDuration(shown.span.startTime - model.start)}
            </span>
            {shown.hasError && <span className="error-text"> · error</span>}
          </>
        ) : (
          <span className="muted">Hover a span for its figures.</span>
        )}
      </div>
      <div className="flame-scroll" ref={box}>
        <canvas
          ref={canvas}
          data-testid="flamegraph"
          style={{ width: "100%", height }}
          aria-label="Flamegraph of the trace: time across, depth down"
          role="img"
          onMouseMove={(e) => setHover(hit(e))}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => {
            const n = hit(e);
            if (n) setFocus(n);
          }}
        />
      </div>
    </div>
  );
}
