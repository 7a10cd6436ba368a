// Decodes console-api DurationHistograms (HdrHistogram V2 serialization, as Rust's hdrhistogram
// writes it) into percentiles and (value, count) pairs the detail view charts.
import * as hdr from "hdr-histogram-js";
import type { Histogram } from "./model.ts";

export const PERCENTILES = [10, 25, 50, 75, 90, 95, 99] as const;

interface WireHistogram {
  rawHistogram: Uint8Array;
  maxValue?: bigint;
  highOutliers?: bigint;
  highestOutlier?: bigint | undefined;
}

// The runtime surface of JsHistogram that its typings leave out.
interface Decoded {
  totalCount: number;
  maxValue: number;
  minNonZeroValue: number;
  countsArrayLength: number;
  getValueAtPercentile(p: number): number;
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
}

const decoder = hdr.JsHistogram as unknown as { decode(b: Uint8Array): Decoded };

/** Returns undefined when the bytes are not a histogram: a bad one must not take the view down. */
export function decodeHistogram(h: WireHistogram): Histogram | undefined {
  if (h.rawHistogram.length === 0) return undefined;
  let d: Decoded;
  try {
    d = decoder.decode(new Uint8Array(h.rawHistogram));
  } catch {
    return undefined;
  }
  const values: Array<[number, number]> = [];
  for (let i = 0; i < d.countsArrayLength; i++) {
    const c = d.getCountAtIndex(i);
    if (c > 0) values.push([d.valueFromIndex(i), c]);
  }
  const count = d.totalCount;
  return {
    percentiles: PERCENTILES.map((p) => [p, count > 0 ? d.getValueAtPercentile(p) : 0]),
    values,
    count,
    min: count > 0 ? d.minNonZeroValue : 0,
    max: Math.max(d.maxValue, Number(h.maxValue ?? 0n)),
    highOutliers: Number(h.highOutliers ?? 0n),
    highestOutlier: h.highestOutlier === undefined ? undefined : Number(h.highestOutlier),
  };
}
