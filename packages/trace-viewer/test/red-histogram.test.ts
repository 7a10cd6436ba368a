// The RED metrics' latency histograms: buckets, quantiles within 4%, merging and the BLOB form.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addDuration,
  bucketOf,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  mergeInto,
  quantile,
} from "../src/store/red-histogram.ts";

test("quantiles come back within 4% of the exact ones", () => {
  const h: Histogram = new Map();
  const values: number[] = [];
  // A skewed spread: most around 1 ms, a tail to 2 s.
  for (let i = 0; i < 10_000; i++) {
    const v = i % 100 === 0 ? (2_000_000 * ((i % 7) + 1)) / 7 : 500 + ((i * 7919) % 1500);
    values.push(v);
    addDuration(h, v);
  }
  values.sort((a, b) => a - b);
  for (const q of [0.5, 0.75, 0.95, 0.99, 1]) {
    const exact = values[Math.max(0, Math.ceil(q * values.length) - 1)]!;
    const got = quantile(h, q)!;
    assert.ok(Math.abs(got - exact) / exact <= 0.04, `q${q}: ${got} vs ${exact}`);
  }
  assert.equal(quantile(new Map(), 0.5), null);
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(-5), 0);
  assert.equal(bucketOf(Number.NaN), 0);
  assert.equal(bucketOf(1e30), 399);
});

test("histograms merge by adding counts and survive the BLOB form", () => {
  const a: Histogram = new Map();
  const b: Histogram = new Map();
  for (const v of [10, 20, 30]) addDuration(a, v);
  for (const v of [20, 5000]) addDuration(b, v, 2);
  mergeInto(a, b);
  assert.equal(
    [...a.values()].reduce((x, y) => x + y, 0),
    7,
  );
  const bytes = encodeHistogram(a);
  assert.equal(bytes.length, a.size * 6);
  assert.deepEqual(decodeHistogram(bytes), a);
  // Decoding into an existing histogram adds to it.
  const twice = decodeHistogram(bytes, decodeHistogram(bytes));
  assert.equal(twice.get(bucketOf(5000)), 4);
});
