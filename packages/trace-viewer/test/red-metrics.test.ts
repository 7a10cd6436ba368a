// Jaeger's metrics API answers from per-minute RED rows: step times, windows, rates, quantiles.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type RedQuery, type RedRow, redFamily, stepTimes } from "../src/query/red-metrics.ts";
import { addDuration, encodeHistogram, type Histogram } from "../src/store/red-histogram.ts";

const M = 60e3;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function row(minute: number, operation: string, durations: number[], errors = 0): RedRow {
  const h: Histogram = new Map();
  for (const d of durations) addDuration(h, d);
  return {
    minute: T0 + minute * M,
    operation,
    calls: durations.length,
    errors,
    hist: encodeHistogram(h),
  };
}

const rows = new Map([
  [
    "shop",
    [
      row(0, "GET", [1000, 1000, 1000, 1000], 1),
      row(0, "SET", [5000, 5000]),
      row(1, "GET", [2000, 2000]),
      row(3, "GET", [1000]),
    ],
  ],
]);
const base: RedQuery = {
  services: ["shop"],
  metric: "calls",
  endTs: T0 + 5 * M,
  lookback: 5 * M,
  step: M,
  ratePer: M,
  groupByOperation: false,
};

test("step times run from the range's start plus a step to its end", () => {
  assert.deepEqual(stepTimes({ ...base, lookback: 3 * M }), [T0 + 3 * M, T0 + 4 * M, T0 + 5 * M]);
  // A tiny step over a long range is capped at 10,000 points.
  assert.equal(stepTimes({ ...base, lookback: 86400e3, step: 1 }).length, 10_000);
});

test("calls per second, per minute window, for the service and per operation", () => {
  const f = redFamily(base, rows);
  assert.equal(f.name, "service_call_rate");
  assert.equal(f.metrics.length, 1);
  assert.deepEqual(f.metrics[0]!.labels, [{ name: "service_name", value: "shop" }]);
  // Minute 0 (6 calls) ends at T0+1m: 6/60 per second; minute 2 had none: 0.
  assert.deepEqual(
    f.metrics[0]!.metricPoints.map((p) => [p.timestamp.slice(11, 16), p.gaugeValue.doubleValue]),
    [
      ["12:01", 0.1],
      ["12:02", 2 / 60],
      ["12:03", 0],
      ["12:04", 1 / 60],
      ["12:05", 0],
    ],
  );
  const byOp = redFamily({ ...base, groupByOperation: true }, rows);
  assert.equal(byOp.name, "service_operation_call_rate");
  assert.deepEqual(
    byOp.metrics.map((m) => m.labels[1]!.value),
    ["GET", "SET"],
  );
  // A 2-minute window at 12:02 holds minutes 0 and 1: 8 calls over 120 s.
  const wide = redFamily({ ...base, ratePer: 2 * M }, rows);
  assert.equal(wide.metrics[0]!.metricPoints[1]!.gaugeValue.doubleValue, 8 / 120);
});

test("error rate and latency quantiles skip windows without calls", () => {
  const e = redFamily({ ...base, metric: "errors", groupByOperation: true }, rows);
  const get = e.metrics.find((m) => m.labels[1]!.value === "GET")!;
  assert.deepEqual(
    get.metricPoints.map((p) => [p.timestamp.slice(11, 16), p.gaugeValue.doubleValue]),
    [
      ["12:01", 0.25],
      ["12:02", 0],
      ["12:04", 0],
    ],
  );
  const l = redFamily({ ...base, metric: "latencies", quantile: 0.95 }, rows);
  assert.equal(l.name, "service_latencies");
  assert.match(l.help, /^0\.95th quantile/);
  const [p1, p2] = l.metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue);
  // Minute 0: four 1 ms and two 5 ms calls; p95 is 5 ms (within the histogram's 4%). Minute 1: 2 ms.
  assert.ok(Math.abs(p1! - 5) / 5 < 0.04, String(p1));
  assert.ok(Math.abs(p2! - 2) / 2 < 0.04, String(p2));
  assert.deepEqual(redFamily({ ...base, services: ["nobody"] }, rows).metrics, []);
});
