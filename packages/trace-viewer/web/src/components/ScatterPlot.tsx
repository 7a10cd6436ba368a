// Scatter plot of the search results: start time across, duration up, errors in red; a point
// opens its trace. Plain SVG sized to its container.
import { useEffect, useRef, useState } from "react";
import { formatDuration, formatTime } from "../lib/format.ts";
import { navigate, traceHref } from "../lib/router.tsx";
import type { TraceSummary } from "../lib/summary.ts";

const H = 180;
const PAD = { left: 60, right: 20, top: 14, bottom: 26 };

export function ScatterPlot(props: { summaries: TraceSummary[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(200, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const list = props.summaries;
  const t0 = Math.min(...list.map((s) => s.start));
  const t1 = Math.max(...list.map((s) => s.start));
  // Headroom above the longest trace, so its dot is not cut by the frame, to a round number.
  const dMax = niceCeil(Math.max(1, ...list.map((s) => s.duration)) * 1.1);
  const maxSpans = Math.max(1, ...list.map((s) => s.spanCount));
  const plotW = width - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (t1 === t0 ? plotW / 2 : ((t - t0) / (t1 - t0)) * plotW);
  const y = (d: number) => PAD.top + plotH - (d / dMax) * plotH;
  const ticks = [0, 0.5, 1];

  return (
    <div className="scatter" ref={box}>
      <svg width={width} height={H} role="img" aria-label="Trace durations over time">
        <title>Trace durations over time</title>
        {ticks.map((f) => (
          <g key={f}>
            <line
              className="grid"
              x1={PAD.left}
              x2={width - PAD.right}
              y1={PAD.top + plotH * (1 - f)}
              y2={PAD.top + plotH * (1 - f)}
            />
            <text
              className="axis"
              x={PAD.left - 6}
              y={PAD.top + plotH * (1 - f) + 4}
              textAnchor="end"
            >
              {formatDuration(dMax * f)}
            </text>
          </g>
        ))}
        <text className="axis" x={PAD.left} y={H - 6}>
          {formatTime(t0).slice(11)}
        </text>
        <text className="axis" x={width - PAD.right} y={H - 6} textAnchor="end">
          {formatTime(t1).slice(11)}
        </text>
        {list.map((s) => (
          <a
            key={s.traceID}
            href={traceHref(s.traceID)}
            onClick={(e) => {
              e.preventDefault();
              navigate(traceHref(s.traceID));
            }}
          >
            <circle
              className={s.errorCount > 0 ? "dot error" : "dot"}
              cx={x(s.start)}
              cy={y(s.duration)}
              r={3 + 6 * Math.sqrt(s.spanCount / maxSpans)}
            >
              <title>{`${s.rootService}: ${s.rootOperation}\n${formatDuration(s.duration)}, ${s.spanCount} spans${s.errorCount ? `, ${s.errorCount} errors` : ""}`}</title>
            </circle>
          </a>
        ))}
      </svg>
    </div>
  );
}

/** The next 1, 2 or 5 times a power of ten, for axis labels people can read at a glance. */
function niceCeil(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
