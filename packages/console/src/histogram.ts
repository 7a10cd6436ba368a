// Decodes console-api DurationHistograms (HdrHistogram V2, as Rust's hdrhistogram crate writes
// them) into the percentiles and (value, count) pairs the detail view charts.
import { type DecodedHistogram, decodeHdrHistogramV2 } from "@periscope/console-api";
import type { Histogram } from "./model.ts";

export const PERCENTILES = [10, 25, 50, 75, 90, 95, 99] as const;

interface WireHistogram {
  rawHistogram: Uint8Array;
  maxValue?: bigint;
  highOutliers?: bigint;
  highestOutlier?: bigint | undefined;
}

/** Returns undefined when the bytes are not a histogram: a bad one must not take the view down. */
export function decodeHistogram(h: WireHistogram): Histogram | undefined {
  if (h.rawHistogram.length === 0) return undefined;
  let d: DecodedHistogram;
  try {
    d = decodeHdrHistogramV2(new Uint8Array(h.rawHistogram));
  } catch {
    return undefined;
  }
  const count = d.totalCount;
  return {
    percentiles: PERCENTILES.map((p) => [p, count > 0 ? d.valueAtQuantile(p / 100) : 0]),
    values: d.buckets.map((b) => [b.low, b.count]),
    count,
    min: d.min,
    max: Math.max(d.max, h.highestOutlier === undefined ? 0 : Number(h.highestOutlier)),
    highOutliers: Number(h.highOutliers ?? 0n),
    highestOutlier: h.highestOutlier === undefined ? undefined : Number(h.highestOutlier),
  };
}
