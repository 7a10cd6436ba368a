// Span data as the Registry keeps it, the table that finds it by id, and the view of it that a
// layer with a per-layer filter gets (only the spans its filter enabled).
import {
  currentSpan,
  type EventRecord,
  type Fields,
  type FieldValue,
  type Metadata,
  type SpanAttributes,
} from "@periscope/tracing";
import type { Context, SpanRef } from "./layer.ts";

const SLOTS = 16384;
const MASK = SLOTS - 1;

/**
 * Live spans by id. Ids count up, so `id mod SLOTS` spreads them over an array and a lookup is
 * one index and one compare; a span whose slot is still held by an older live span goes to a
 * Map. The profile of span create/close was a fifth Map.delete before this.
 */
export class SpanTable {
  readonly #slab: (SpanData | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly #overflow = new Map<number, SpanData>();
  #size = 0;

  get size(): number {
    return this.#size;
  }
  get(id: bigint): SpanData | undefined {
    const n = Number(id);
    const d = this.#slab[n & MASK];
    if (d !== undefined && d.key === n) return d;
    return this.#overflow.size === 0 ? undefined : this.#overflow.get(n);
  }
  insert(d: SpanData): void {
    const i = d.key & MASK;
    if (this.#slab[i] === undefined) this.#slab[i] = d;
    else this.#overflow.set(d.key, d);
    this.#size++;
  }
  remove(d: SpanData): void {
    const i = d.key & MASK;
    if (this.#slab[i] === d) this.#slab[i] = undefined;
    else if (!this.#overflow.delete(d.key)) return;
    this.#size--;
  }
}

export class SpanData implements SpanRef {
  readonly id: bigint;
  /** The id as a number, for the table. */
  readonly key: number;
  readonly metadata: Metadata;
  readonly parentId: bigint | undefined;
  /** Shared with the caller's object until the first record (copy on write). */
  fields: Fields;
  ownFields = false;
  followsFrom: bigint[] = EMPTY_IDS;
  /** Handles and live children holding the span open. */
  refs = 1;
  /** Which filtered layers see this span. */
  mask = 0;
  #ext: Map<unknown, unknown> | undefined;
  readonly #spans: SpanTable;

  constructor(id: bigint, key: number, attrs: SpanAttributes, spans: SpanTable) {
    this.id = id;
    this.key = key;
    this.metadata = attrs.metadata;
    this.parentId = attrs.parent;
    this.fields = attrs.fields;
    this.#spans = spans;
  }
  get extensions(): Map<unknown, unknown> {
    if (this.#ext === undefined) this.#ext = new Map();
    return this.#ext;
  }
  parent(): SpanRef | undefined {
    return this.parentId === undefined ? undefined : this.#spans.get(this.parentId);
  }
  scope(): SpanRef[] {
    const out: SpanRef[] = [];
    for (let s: SpanData | undefined = this; s !== undefined; ) {
      out.push(s);
      s = s.parentId === undefined ? undefined : this.#spans.get(s.parentId);
    }
    return out;
  }
  field(name: string): FieldValue {
    return this.fields[name];
  }
}
export const EMPTY_IDS: bigint[] = [];

/** What a filtered layer sees: only the spans its filter enabled, parents skipping the rest. */
export class FilteredContext implements Context {
  readonly #spans: SpanTable;
  readonly #bit: number;
  /** The subscriber these spans belong to: a current span of another one is not ours. */
  readonly #owner: object;
  constructor(spans: SpanTable, bit: number, owner: object) {
    this.#spans = spans;
    this.#bit = bit;
    this.#owner = owner;
  }
  #nearest(id: bigint | undefined): SpanData | undefined {
    while (id !== undefined) {
      const d = this.#spans.get(id);
      if (d === undefined) return undefined;
      if (d.mask & this.#bit) return d;
      id = d.parentId;
    }
    return undefined;
  }
  span(id: bigint): SpanRef | undefined {
    const d = this.#spans.get(id);
    return d !== undefined && d.mask & this.#bit ? d : undefined;
  }
  current(): SpanRef | undefined {
    const cur = currentSpan();
    return cur.id === undefined || cur.subscriber !== this.#owner
      ? undefined
      : this.#nearest(cur.id);
  }
  eventSpan(event: EventRecord): SpanRef | undefined {
    return this.#nearest(event.parent);
  }
  spanScope(id: bigint | undefined): SpanRef[] {
    const out: SpanRef[] = [];
    while (id !== undefined) {
      const d = this.#spans.get(id);
      if (d === undefined) break;
      if (d.mask & this.#bit) out.push(d);
      id = d.parentId;
    }
    return out;
  }
}
