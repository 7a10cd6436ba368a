// Jaeger's metrics API answers (/api/metrics/latencies|calls|errors) from the per-minute RED rows
// the store keeps at ingest (store/aggregates.ts): for each step time t of the range, the minutes
// that start in [t - ratePer, t) are added up into a latency quantile, a call rate (calls per
// second) or an error rate (errors / calls), as Prometheus' rate() over spanmetrics would. The
// window slides (minutes enter and leave once each), so a long range costs one pass over its
// rows. Shapes as Jaeger's MetricFamily JSON, which Jaeger UI's Monitor tab reads.
import { addBlob, BUCKETS, denseQuantile } from "../store/red-histogram.ts";

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

export interface MetricFamily {
  name: string;
  type: "GAUGE";
  help: string;
  metrics: Array<{ labels: Array<{ name: string; value: string }>; metricPoints: Point[] }>;
}

const NAMES: Record<RedMetric, [service: string, operation: string, help: string]> = {
  latencies: ["service_latencies", "service_operation_latencies", "latency in ms"],
  calls: ["service_call_rate", "service_operation_call_rate", "calls/sec"],
  errors: [
    "service_error_rate",
    "service_operation_error_rate",
    "error rate, computed as a fraction of errors/sec over calls/sec",
  ],
};

/** Points a series has at most, whatever step a client asks for. */
export const MAX_POINTS = 10_000;

/** The step times of a range, oldest first: Prometheus' query_range evaluation times. */
export function stepTimes(q: RedQuery): number[] {
  const out: number[] = [];
  const start = q.endTs - q.lookback;
  const step = Math.max(q.step, q.lookback / MAX_POINTS, 1000);
  for (let t = start + step; t <= q.endTs + 1e-6; t += step) out.push(Math.round(t));
  return out;
}

/** The rows of each service (any order) as one MetricFamily: per operation, or per service. */
export function redFamily(q: RedQuery, rowsByService: Map<string, RedRow[]>): MetricFamily {
  const [serviceName, opName, help] = NAMES[q.metric];
  const times = stepTimes(q);
  const metrics: MetricFamily["metrics"] = [];
  for (const service of q.services) {
    const groups = new Map<string, RedRow[]>();
    for (const r of rowsByService.get(service) ?? []) {
      const k = q.groupByOperation ? r.operation : "";
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    for (const [operation, list] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      list.sort((a, b) => a.minute - b.minute);
      // service_name first: Jaeger UI reads a service's name from the first label.
      const labels = [{ name: "service_name", value: service }];
      if (q.groupByOperation) labels.push({ name: "operation", value: operation });
      metrics.push({ labels, metricPoints: points(q, times, list) });
    }
  }
  const what = q.metric === "latencies" ? `${q.quantile}th quantile ` : "";
  return {
    name: q.groupByOperation ? opName : serviceName,
    type: "GAUGE",
    help: `${what}${help}, grouped by service${q.groupByOperation ? " & operation" : ""}`,
    metrics,
  };
}

function points(q: RedQuery, times: number[], rows: RedRow[]): Point[] {
  const out: Point[] = [];
  const latency = q.metric === "latencies";
  const dense = latency ? new Float64Array(BUCKETS) : null;
  let lo = 0;
  let hi = 0;
  let calls = 0;
  let errors = 0;
  let held = 0;
  // A window shorter than a minute would fall between minute starts.
  const per = Math.max(q.ratePer, 60e3);
  for (const t of times) {
    for (; hi < rows.length && rows[hi]!.minute < t; hi++) {
      const r = rows[hi]!;
      calls += r.calls;
      errors += r.errors;
      if (dense) held += addBlob(dense, r.hist, 1);
    }
    for (; lo < hi && rows[lo]!.minute < t - per; lo++) {
      const r = rows[lo]!;
      calls -= r.calls;
      errors -= r.errors;
      if (dense) held -= addBlob(dense, r.hist, -1);
    }
    let v: number | null;
    if (q.metric === "calls") v = calls / (per / 1000);
    else if (calls === 0) v = null;
    else if (q.metric === "errors") v = errors / calls;
    else {
      const us = denseQuantile(dense!, held, q.quantile ?? 0.95);
      v = us === null ? null : us / 1000;
    }
    if (v !== null)
      out.push({ gaugeValue: { doubleValue: v }, timestamp: new Date(t).toISOString() });
  }
  return out;
}
