// Client of Jaeger's metrics API (/api/metrics/latencies|calls|errors), which the viewer answers
// from its own span aggregates: Jaeger UI's Monitor tab reads the same endpoints. Answers are
// MetricFamily objects (labels, then points with a double value and an RFC 3339 timestamp).
import { ApiFailure } from "./api.ts";

export type MetricKind = "latencies" | "calls" | "errors";

export interface MetricQuery {
  service: string;
  spanKind: string;
  /** ms */
  endTs: number;
  lookback: number;
  step: number;
  ratePer: number;
  quantile?: number;
  groupByOperation?: boolean;
}

/** One series: [time in ms, value or null where there were no spans]. */
export type Series = Array<[number, number | null]>;

interface MetricFamily {
  name?: string;
  metrics?: Array<{
    labels?: Array<{ name?: string; value?: string }>;
    metricPoints?: Array<{ gaugeValue?: { doubleValue?: number }; timestamp?: string }>;
  }>;
}

export function metricParams(q: MetricQuery): URLSearchParams {
  const p = new URLSearchParams({
    service: q.service,
    spanKind: q.spanKind,
    endTs: String(q.endTs),
    lookback: String(q.lookback),
    step: String(q.step),
    ratePer: String(q.ratePer),
  });
  if (q.quantile !== undefined) p.set("quantile", String(q.quantile));
  if (q.groupByOperation) p.set("groupByOperation", "true");
  return p;
}

/** The series of one metric, keyed by operation ("" when not grouped by operation). */
export async function getMetric(
  kind: MetricKind,
  q: MetricQuery,
  signal?: AbortSignal,
): Promise<Map<string, Series>> {
  let res: Response;
  try {
    res = await fetch(`/api/metrics/${kind}?${metricParams(q)}`, {
      signal,
      headers: { accept: "application/json" },
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiFailure("The viewer did not answer; is `periscope viewer` still running?");
  }
  const body = (await res.json().catch(() => null)) as
    | (MetricFamily & { errors?: Array<{ msg?: string }> })
    | null;
  if (!res.ok || !body) {
    const msg = body?.errors?.map((e) => e.msg).join("; ");
    throw new ApiFailure(msg || `The viewer answered ${res.status} ${res.statusText}`);
  }
  const out = new Map<string, Series>();
  for (const m of body.metrics ?? []) {
    const op = m.labels?.find((l) => l.name === "operation")?.value ?? "";
    const series: Series = (m.metricPoints ?? []).map((p) => {
      const v = p.gaugeValue?.doubleValue;
      return [
        Date.parse(String(p.timestamp)),
        typeof v === "number" && Number.isFinite(v) ? v : null,
      ];
    });
    out.set(String(op), series);
  }
  return out;
}

/** The mean of a series' values, ignoring gaps; null when it has none. */
export function seriesMean(s: Series | undefined): number | null {
  let sum = 0;
  let n = 0;
  for (const [, v] of s ?? []) {
    if (v !== null) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? null : sum / n;
}
