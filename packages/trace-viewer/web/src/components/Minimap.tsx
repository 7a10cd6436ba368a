// The minimap: every visible span as a line (time across, row down) on a canvas, with the part of
// the trace in view outlined. Click to scroll there; drag across to zoom the timeline to a span
// of time.
import { type KeyboardEvent, memo, type PointerEvent, useEffect, useRef, useState } from "react";
import { serviceHue } from "../lib/summary.ts";
import type { SpanNode, TraceModel } from "../lib/trace-model.ts";

const H = 64;

export function Minimap(props: {
  model: TraceModel;
  rows: SpanNode[];
  zoom: [number, number];
  firstRow: number;
  lastRow: number;
  onZoom: (z: [number, number]) => void;
  onScrollTo: (row: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number; y: number } | null>(null);
  const n = Math.max(1, props.rows.length);
  const frac = (e: PointerEvent) => {
    const r = box.current!.getBoundingClientRect();
    return {
      x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)),
      y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)),
    };
  };
  const down = (e: PointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    const p = frac(e);
    setDrag({ x0: p.x, x1: p.x, y: p.y });
  };
  const move = (e: PointerEvent<HTMLDivElement>) => {
    if (drag) setDrag({ ...drag, x1: frac(e).x });
  };
  const up = () => {
    if (!drag) return;
    const [a, b] = [Math.min(drag.x0, drag.x1), Math.max(drag.x0, drag.x1)];
    if (b - a > 0.01) {
      // The minimap always shows the whole trace, so its fractions are trace fractions.
      props.onZoom([a, b]);
    } else props.onScrollTo(Math.floor(drag.y * props.rows.length));
    setDrag(null);
  };
  const key = (e: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, props.lastRow - props.firstRow);
    if (e.key === "ArrowDown" || e.key === "PageDown") props.onScrollTo(props.firstRow + page);
    else if (e.key === "ArrowUp" || e.key === "PageUp")
      props.onScrollTo(Math.max(0, props.firstRow - page));
    else return;
    e.preventDefault();
  };
  const [z0, z1] = props.zoom;
  return (
    <div
      className="minimap"
      ref={box}
      role="slider"
      tabIndex={0}
      aria-label="Trace minimap: click to scroll, drag across to zoom"
      aria-valuemin={0}
      aria-valuemax={props.rows.length}
      aria-valuenow={props.firstRow}
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={up}
      onKeyDown={key}
      data-testid="minimap"
    >
      <MinimapCanvas model={props.model} rows={props.rows} />
      <div
        className="minimap-view"
        style={{
          left: `${z0 * 100}%`,
          width: `${(z1 - z0) * 100}%`,
          top: `${(props.firstRow / n) * 100}%`,
          height: `${Math.max(((props.lastRow - props.firstRow + 1) / n) * 100, 4)}%`,
        }}
      />
      {drag && Math.abs(drag.x1 - drag.x0) > 0.01 && (
        <div
          className="minimap-select"
          style={{
            left: `${Math.min(drag.x0, drag.x1) * 100}%`,
            width: `${Math.abs(drag.x1 - drag.x0) * 100}%`,
          }}
        />
      )}
    </div>
  );
}

const MinimapCanvas = memo(function MinimapCanvas(props: { model: TraceModel; rows: SpanNode[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = canvas.current?.parentElement;
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
    c.height = Math.round(H * dpr);
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, width, H);
    const { model, rows } = props;
    const dur = Math.max(1, model.duration);
    const rowH = Math.max(H / Math.max(1, rows.length), 0.5);
    const colours = new Map<string, string>();
    rows.forEach((node, i) => {
      let colour = node.hasError ? "hsl(0 75% 55%)" : colours.get(node.service);
      if (!colour) {
        colour = `hsl(${serviceHue(node.service)} 55% 55%)`;
        colours.set(node.service, colour);
      }
      ctx.fillStyle = colour;
      const x = ((node.span.startTime - model.start) / dur) * width;
      const w = Math.max(1, (node.span.duration / dur) * width);
      ctx.fillRect(x, (i / rows.length) * H, w, Math.min(Math.max(rowH - 0.5, 0.5), 6));
    });
  }, [props, width]);
  return <canvas ref={canvas} style={{ width: "100%", height: H }} />;
});
