// The never-shrinking id map behind the layer and aggregator: agrees with a Map under churn,
// including ids beyond 2^53 and rehashes that clear deleted slots.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IdMap } from "../src/id-map.ts";

test("IdMap agrees with a Map through bursts of inserts and deletes", () => {
  const m = new IdMap<number>(16);
  const ref = new Map<bigint, number>();
  let next = 1n;
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 40; round++) {
    const burst = 1 + rand(3000);
    for (let i = 0; i < burst; i++) {
      const id = next++;
      m.set(id, Number(id));
      ref.set(id, Number(id));
    }
    for (const id of [...ref.keys()]) {
      if (rand(10) < 8) {
        assert.equal(m.delete(id), true);
        ref.delete(id);
      }
    }
    assert.equal(m.delete(next + 5n), false);
    assert.equal(m.size, ref.size);
  }
  for (const [id, v] of ref) assert.equal(m.get(id), v);
  assert.equal(m.get(next + 1n), undefined);
  assert.deepEqual(
    [...m.values()].sort((a, b) => a - b),
    [...ref.values()].sort((a, b) => a - b),
  );
});

test("IdMap keeps ids above 2^53 exactly, and overwrites on set", () => {
  const m = new IdMap<string>();
  const big = 2n ** 64n - 1n;
  m.set(big, "max");
  m.set(big - 1n, "max-1");
  m.set(3n, "three");
  m.set(3n, "THREE");
  assert.equal(m.get(big), "max");
  assert.equal(m.get(big - 1n), "max-1");
  assert.equal(m.get(3n), "THREE");
  assert.equal(m.size, 3);
  assert.equal(m.delete(big), true);
  assert.equal(m.get(big), undefined);
  assert.equal(m.size, 2);
});
