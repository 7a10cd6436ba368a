// The packed form of a chunk of frozen rows: exact round trips of every column (large and negative
// deltas, runs of equal values, 2^53-range clocks) and clear errors for damaged bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { newColumns, pack, unpack } from "../src/frozen-pack.ts";

const W = { i32: 2, u32: 7, u8: 7 };

function filled(n: number, seed: number) {
  const c = newColumns(n, W.i32, W.u32, W.u8);
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  const base = 9_876_543.210987;
  for (let r = 0; r < n; r++) {
    // On whole nanoseconds from the first row's, as FrozenTasks keeps them.
    c.dropped[r] = r === 0 ? base : base + Math.round(r * 1234.5 + (rnd() % 1000)) / 1e6;
    c.i[r * 2] = r % 7 === 0 ? -0x7fffffff : r * 3;
    c.i[r * 2 + 1] = -0x80000000;
    for (let k = 0; k < W.u32; k++)
      c.u[r * W.u32 + k] = k === 3 ? 0xffffffff : k === 6 ? 5 : rnd() % (k + 1) ** 9;
    for (let k = 0; k < W.u8; k++) c.s[r * W.u8 + k] = k === 0 ? rnd() % 256 : 1;
  }
  if (seed % 2 === 0)
    c.lastStart = Uint32Array.from({ length: n }, (_, r) => (r % 9 ? 0xfffffffe : r));
  return c;
}

test("every column reads back exactly, whatever its values", () => {
  for (const n of [0, 1, 2, 100, 4096]) {
    const c = filled(4096, n + 1);
    const base = c.dropped[0] as number;
    const bytes = pack(c, n, base, W);
    const back = unpack(bytes, base, n, 4096, W);
    assert.deepEqual(back.dropped.subarray(0, n), c.dropped.subarray(0, n), `dropped, n=${n}`);
    assert.deepEqual(back.i.subarray(0, n * 2), c.i.subarray(0, n * 2), `i32, n=${n}`);
    assert.deepEqual(back.u.subarray(0, n * 7), c.u.subarray(0, n * 7), `u32, n=${n}`);
    assert.deepEqual(back.s.subarray(0, n * 7), c.s.subarray(0, n * 7), `u8, n=${n}`);
    assert.ok(
      back.u.subarray(n * 7).every((v) => v === 0),
      "rows past n are empty",
    );
    assert.equal(back.lastStart === undefined, c.lastStart === undefined, `last starts, n=${n}`);
    if (c.lastStart) assert.deepEqual(back.lastStart?.subarray(0, n), c.lastStart.subarray(0, n));
  }
});

test("alike rows pack small: a constant chunk takes a few bytes a column", () => {
  const c = newColumns(4096, W.i32, W.u32, W.u8);
  c.dropped.fill(123.456);
  c.u.fill(77);
  c.s.fill(1);
  const bytes = pack(c, 4096, 123.456, W);
  assert.ok(bytes.length < 17 * 8, `${bytes.length} bytes for 4096 equal rows`);
  const back = unpack(bytes, 123.456, 4096, 4096, W);
  assert.deepEqual(back.u, c.u);
});

test("damaged packed bytes are an error, not wrong rows", () => {
  const c = filled(64, 3);
  const base = c.dropped[0] as number;
  const bytes = pack(c, 64, base, W);
  assert.throws(() => unpack(bytes.subarray(0, bytes.length - 3), base, 64, 64, W), /truncated/);
  const extra = new Uint8Array(bytes.length + 1);
  extra.set(bytes);
  assert.throws(() => unpack(extra, base, 64, 64, W), /trailing/);
  assert.throws(() => unpack(Uint8Array.of(0, 0), 0, 64, 64, W), /zero run/);
});
