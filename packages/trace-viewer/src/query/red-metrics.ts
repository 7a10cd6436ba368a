// Jaeger's metrics API answers (/api/metrics/latencies|calls|errors) from the per-minute RED
// aggregates the store keeps at ingest: for each step of the range, the minutes in the window
// [t - ratePer, t) are added up into a latency quantile, a call rate (calls per second) or an
// error rate (errors / calls). Shapes as Jaeger's MetricFamily JSON, which Jaeger UI reads.
import { decodeHistogram, type Histogram, quantile } from "../store/red-histogram.ts";

export type RedMetric = "latencies" | "calls" | "errors";

export interface RedRow {
  /** Start of the minute, ms since the epoch. */
  minute: number;
  operation: string;
  calls: number;
  errors: number;
  hist: Uint8Array;
}

export interface RedQuery {
  services: string[];
  metric: RedMetric;
  /** ms */
  endTs: number;
  lookback: number;
  step: number;
  ratePer: number;
  quantile?: number;
  groupByOperation: boolean;
}

interface Point {
  gaugeValue: { doubleValue: number };
  timestamp: string;
}

const NAMES: Record<RedMetric, [service: string, operation: string, help: string]> = {
  latencies: ["service_latencies", "service_operation_latencies", "latency in ms"],
  calls: ["service_call_rate", "service_operation_call_rate", "calls/sec"],
  errors: ["service_error_rate", "service_operation_error_rate", "error rate, errors/calls"],
};

/** The step times of a range, oldest first: Prometheus' query_range evaluation times. */
export function stepTimes(q: RedQuery): number[] {
  const out: number[] = [];
  const start = q.endTs - q.lookback;
  // At most 10,000 points a series, whatever step a client asks for.
  const step = Math.max(q.step, q.lookback / 10_000, 1000);
  for (let t = start + step; t <= q.endTs + 1e-6; t += step) out.push(Math.round(t));
  return out;
}

/** One service's rows (any order) as MetricFamily series, per operation or for the service. */
export function redFamily(q: RedQuery, rowsByService: Map<string, RedRow[]>) {
  const [serviceName, opName, help] = NAMES[q.metric];
  const times = stepTimes(q);
  const metrics: Array<{ labels: Array<{ name: string; value: string }>; metricPoints: Point[] }> =
    [];
  for (const service of q.services) {
    const rows = rowsByService.get(service) ?? [];
    const groups = new Map<string, RedRow[]>();
    for (const r of rows) {
      const k = q.groupByOperation ? r.operation : "";
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    for (const [operation, list] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
      list.sort((a, b) => a.minute - b.minute);
      const labels = [{ name: "service_name", value: service }];
      if (q.groupByOperation) labels.push({ name: "operation", value: operation });
      metrics.push({ labels, metricPoints: points(q, times, list) });
    }
  }
  return {
    name: q.groupByOperation ? opName : serviceName,
    type: "GAUGE",
    help: `${q.metric === "latencies" ? `${q.quantile}th quantile ` : ""}${help}, grouped by service${q.groupByOperation ? " & operation" : ""}`,
    metrics,
  };
}

function points(q: RedQuery, times: number[], rows: RedRow[]): Point[] {
  const out: Point[] = [];
  let lo = 0;
  for (const t of times) {
    // The minutes that start in [t - ratePer, t): with a one-minute window exactly one, the
    // current (partial) minute for a point at "now", so the latest requests show at once.
    const from = t - q.ratePer;
    while (lo < rows.length && rows[lo]!.minute < from) lo++;
    let calls = 0;
    let errors = 0;
    const hist: Histogram = new Map();
    for (let i = lo; i < rows.length && rows[i]!.minute < t; i++) {
      const r = rows[i]!;
      calls += r.calls;
      errors += r.errors;
      if (q.metric === "latencies") decodeHistogram(r.hist, hist);
    }
    let v: number | null;
    if (q.metric === "calls") v = calls / (q.ratePer / 1000);
    else if (calls === 0) v = null;
    else if (q.metric === "errors") v = errors / calls;
    else {
      const us = quantile(hist, q.quantile ?? 0.95);
      v = us === null ? null : us / 1000;
    }
    if (v !== null)
      out.push({ gaugeValue: { doubleValue: v }, timestamp: new Date(t).toISOString() });
  }
  return out;
}
