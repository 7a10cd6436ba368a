// A time-series chart of the Monitor page, drawn by uPlot (canvas): one or more series over the
// same times, a legend with the value under the cursor, and a click that reports the time of the
// nearest point (the page opens the traces behind it).
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Series } from "../lib/metrics-api.ts";

export interface ChartSeries {
  label: string;
  data: Series;
  colour: string;
}

export function MetricChart(props: {
  title: string;
  unit: string;
  series: ChartSeries[];
  format: (v: number) => string;
  /** The time range drawn, ms: every chart of a page on the same axis, even with one point. */
  range: [number, number];
  onPick?: (timeMs: number) => void;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const pick = useRef(props.onPick);
  pick.current = props.onPick;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // The union of the series' times, in order; each series is aligned onto it (null = gap).
    const times = [...new Set(props.series.flatMap((s) => s.data.map(([t]) => t)))].sort(
      (a, b) => a - b,
    );
    const aligned = props.series.map((s) => {
      const at = new Map(s.data);
      return times.map((t) => at.get(t) ?? null);
    });
    const fmt = props.format;
    // Canvas text takes a colour, not currentColor: the theme's muted text colour.
    const ink = getComputedStyle(el).color;
    const plot = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: 200,
        cursor: { points: { size: 7 } },
        legend: { live: true },
        scales: {
          x: { time: true, range: () => [props.range[0] / 1000, props.range[1] / 1000] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { stroke: ink, grid: { stroke: "rgba(128,128,128,0.15)" } },
          {
            stroke: ink,
            size: 64,
            grid: { stroke: "rgba(128,128,128,0.15)" },
            values: (_u, vals) => vals.map((v) => fmt(v)),
          },
        ],
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.colour,
            width: 1.6,
            spanGaps: false,
            points: { show: times.length < 80 },
            value: (_u: uPlot, v: number | null) => (v === null ? "—" : fmt(v)),
          })),
        ],
      },
      [times.map((t) => t / 1000), ...aligned],
      el,
    );
    const over = plot.over;
    const click = () => {
      const idx = plot.cursor.idx;
      const t = idx === null || idx === undefined ? undefined : times[idx];
      if (t !== undefined) pick.current?.(t);
    };
    over.addEventListener("click", click);
    const ro = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(240, el.clientWidth), height: 200 }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      over.removeEventListener("click", click);
      plot.destroy();
    };
  }, [props.series, props.format, props.range[0], props.range[1]]);
  return (
    <figure className="metric-chart" data-testid={props.testId}>
      <figcaption>
        {props.title} <span className="muted">({props.unit})</span>
      </figcaption>
      <div ref={box} className="metric-plot" />
    </figure>
  );
}
