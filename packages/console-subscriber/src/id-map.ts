// A map from span-id keys to entities that never shrinks: a JS Map reallocates its table as a
// burst of short tasks grows and drains it, and those tables end up as old-generation garbage.
import { idKey } from "./entities.ts";

const EMPTY = 0;
/** Span ids start at 1, so 0 and -1 are free to mark empty and deleted slots. */
const DELETED = -1;

/** Open addressing with linear probing over a Float64Array of keys; ids above 2^53 go to a Map. */
export class IdMap<V> {
  #keys: Float64Array;
  #vals: (V | undefined)[];
  #mask: number;
  #size = 0;
  /** Live plus deleted slots: probing cost grows with both. */
  #used = 0;
  readonly #big = new Map<string, V>();
  #spareKeys: Float64Array | undefined;
  #spareVals: (V | undefined)[] | undefined;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.#keys = new Float64Array(cap);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size + this.#big.size;
  }

  get(id: bigint): V | undefined {
    const k = idKey(id);
    if (typeof k === "string") return this.#big.get(k);
    const keys = this.#keys;
    for (let i = hash(k) & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = keys[i] as number;
      if (at === k) return this.#vals[i];
      if (at === EMPTY) return undefined;
    }
  }

  set(id: bigint, v: V): void {
    const k = idKey(id);
    if (typeof k === "string") {
      this.#big.set(k, v);
      return;
    }
    if ((this.#used + 1) * 2 > this.#keys.length) this.#grow();
    const keys = this.#keys;
    let free = -1;
    for (let i = hash(k) & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = keys[i] as number;
      if (at === k) {
        this.#vals[i] = v;
        return;
      }
      if (at === DELETED && free < 0) free = i;
      if (at === EMPTY) {
        if (free < 0) {
          free = i;
          this.#used++;
        }
        keys[free] = k;
        this.#vals[free] = v;
        this.#size++;
        return;
      }
    }
  }

  delete(id: bigint): boolean {
    const k = idKey(id);
    if (typeof k === "string") return this.#big.delete(k);
    const keys = this.#keys;
    for (let i = hash(k) & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = keys[i] as number;
      if (at === k) {
        keys[i] = DELETED;
        this.#vals[i] = undefined;
        this.#size--;
        return true;
      }
      if (at === EMPTY) return false;
    }
  }

  /** Every value, in no particular order. */
  *values(): Generator<V, void, undefined> {
    const vals = this.#vals;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) yield v;
    }
    yield* this.#big.values();
  }

  /**
   * Rehashes: doubles when mostly live, else clears deleted slots at the same size into a spare
   * pair of arrays kept from the previous rehash, so a steady churn of ids allocates nothing.
   */
  #grow(): void {
    const oldKeys = this.#keys;
    const oldVals = this.#vals;
    const same = this.#size * 4 <= oldKeys.length;
    let keys: Float64Array;
    let vals: (V | undefined)[];
    const spareKeys = this.#spareKeys;
    const spareVals = this.#spareVals;
    if (same && spareKeys !== undefined && spareVals !== undefined) {
      keys = spareKeys;
      vals = spareVals;
      keys.fill(EMPTY);
    } else {
      const cap = same ? oldKeys.length : oldKeys.length * 2;
      keys = new Float64Array(cap);
      vals = new Array<V | undefined>(cap).fill(undefined);
    }
    const mask = keys.length - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j] as number;
      if (k === EMPTY || k === DELETED) continue;
      let i = hash(k) & mask;
      while (keys[i] !== EMPTY) i = (i + 1) & mask;
      keys[i] = k;
      vals[i] = oldVals[j];
    }
    oldVals.fill(undefined);
    this.#keys = keys;
    this.#vals = vals;
    this.#mask = mask;
    this.#used = this.#size;
    // The old arrays become the spare when they are the new size (they are, for a same-size rehash).
    this.#spareKeys = same ? oldKeys : undefined;
    this.#spareVals = same ? oldVals : undefined;
  }
}

function hash(k: number): number {
  // Span ids count up: spread consecutive ids (Fibonacci hashing of the low 32 bits, xor the high).
  return Math.imul((k >>> 0) ^ ((k / 4294967296) >>> 0), 0x9e3779b1) >>> 7;
}
