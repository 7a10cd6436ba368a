// HdrHistogram V2: byte-exact against the reference serialization, and our decoder's checks.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { decodeHdrHistogramV2, HDR_V2_COOKIE, HdrHistogram } from "../src/index.ts";

// sha256 of HdrHistogram_rust's tests/data/seq-nums.hist: the Java implementation's uncompressed
// V2 bytes for the values 0..99999 recorded once each in new_with_bounds(1, 2^63-1, 3), which the
// Rust crate's own test asserts its V2Serializer reproduces byte for byte.
const SEQ_NUMS_HIST_SHA256 = "22b9eb9acbbcabbd782c364ff2e2cad828bef73f86468a44d9fbd6306797a017";

test("V2 bytes equal the reference serialization (Java and Rust agree on it)", () => {
  const h = new HdrHistogram(1, 2n ** 63n - 1n, 3);
  for (let v = 0; v < 100_000; v++) h.record(v);
  const bytes = h.encodeV2();
  assert.equal(createHash("sha256").update(bytes).digest("hex"), SEQ_NUMS_HIST_SHA256);
  // And the header as tokio-console's deserializer reads it.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(view.getUint32(0), HDR_V2_COOKIE);
  assert.equal(view.getUint32(0), 0x1c849313);
  assert.equal(view.getUint32(4), bytes.length - 40);
});

test("console-subscriber's histogram (max 1 s, 2 digits) round trips through the decoder", () => {
  const h = HdrHistogram.withMax(1_000_000_000, 2);
  const values = [0, 1, 255, 256, 1_000, 50_000, 100_000_000, 1_000_000_000];
  for (const v of values) h.record(v);
  h.record(1_000, 4);
  const d = decodeHdrHistogramV2(h.encodeV2());
  assert.equal(d.significantDigits, 2);
  assert.equal(d.lowest, 1);
  assert.equal(d.highest, 1_000_000_000);
  assert.equal(d.totalCount, values.length + 4);
  assert.equal(d.min, 0);
  // 2 significant digits: each recorded value lies inside the bucket it decodes to, within 1%.
  for (const v of values) {
    const b = d.buckets.find((x) => x.low <= v && v <= x.high);
    assert.ok(b, `no bucket for ${v}`);
    assert.ok(b.high - b.low <= Math.max(1, v / 100), `bucket for ${v} too wide`);
  }
  assert.equal(d.buckets.find((b) => b.low <= 1_000 && 1_000 <= b.high)?.count, 5);
  assert.ok(d.max >= 1_000_000_000);
  assert.equal(d.valueAtQuantile(0), d.buckets[0]?.high);
  assert.ok(d.valueAtQuantile(0.5) >= 1_000 && d.valueAtQuantile(0.5) < 1_100);
});

test("sparse and dense storage encode the same bytes", () => {
  const a = HdrHistogram.withMax(1_000_000_000);
  const b = HdrHistogram.withMax(1_000_000_000);
  const values: number[] = [];
  for (let i = 0; i < 200; i++) values.push(Math.floor((i * 7919) % 5_000_000) + i);
  for (const v of values.slice(0, 10)) a.record(v);
  // b and c get the same values in different orders, so they turn dense at different points.
  for (let i = 0; i < 40; i++) b.record(10_000_000 + i * 100_000);
  for (const v of values.slice(0, 10)) b.record(v);
  const c = HdrHistogram.withMax(1_000_000_000);
  for (const v of values.slice(0, 10)) c.record(v);
  for (let i = 39; i >= 0; i--) c.record(10_000_000 + i * 100_000);
  assert.deepEqual(b.encodeV2(), c.encodeV2());
  assert.equal(decodeHdrHistogramV2(a.encodeV2()).totalCount, 10);
  assert.equal(decodeHdrHistogramV2(b.encodeV2()).totalCount, 50);
});

test("an empty histogram encodes one zero count, as the Rust crate does", () => {
  const bytes = HdrHistogram.withMax(1_000_000_000).encodeV2();
  assert.equal(bytes.length, 41);
  assert.equal(bytes[40], 0);
  assert.equal(decodeHdrHistogramV2(bytes).totalCount, 0);
});

test("the decoder rejects what tokio-console would reject", () => {
  const good = HdrHistogram.withMax(1_000_000).encodeV2();
  const withCookie = (c: number): Uint8Array => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(0, c);
    return b;
  };
  assert.throws(() => decodeHdrHistogramV2(withCookie(0x1c849303)), {
    code: "PERISCOPE_HISTOGRAM_FORMAT",
  });
  assert.throws(() => decodeHdrHistogramV2(withCookie(0x1c849314)), /compressed/);
  assert.throws(() => decodeHdrHistogramV2(good.subarray(0, 20)), /header/);
  const ratio = good.slice();
  new DataView(ratio.buffer).setFloat64(32, 2.0);
  assert.throws(() => decodeHdrHistogramV2(ratio), /ratio/);
  const truncated = good.slice();
  new DataView(truncated.buffer).setUint32(4, 1000);
  assert.throws(() => decodeHdrHistogramV2(truncated), /truncated/);
});

test("values on both sides of 2^32 land in the buckets that hold them", () => {
  // Below 2^32 the recorder takes a 32-bit integer path; above, the general one.
  const values = [
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 32 + 1,
    3 * 2 ** 33 + 7,
    2 ** 52 + 12_345,
  ];
  for (let v = 1; v < 2 ** 32; v = Math.floor(v * 1.37) + 1) values.push(v);
  const h = new HdrHistogram(1, 2n ** 63n - 1n, 2);
  for (const v of values) h.record(v);
  const d = decodeHdrHistogramV2(h.encodeV2());
  assert.equal(d.totalCount, values.length);
  for (const v of values) {
    const b = d.buckets.find((x) => x.low <= v && v <= x.high);
    assert.ok(b, `no bucket for ${v}`);
    assert.ok(b.high - b.low <= Math.max(1, v / 100), `bucket for ${v} too wide`);
  }
});
