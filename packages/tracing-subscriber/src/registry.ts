// The Registry: the Subscriber that owns span data (ids, parents, fields, extensions) and fans
// every span and event out to its layers, honouring global filters and per-layer filters.
import {
  currentSpan,
  type EventRecord,
  type Fields,
  globalDefault,
  Interest,
  LevelFilter,
  type Metadata,
  rebuildInterest,
  type SpanAttributes,
  type Subscriber,
  setGlobalDefault,
} from "@periscope/tracing";
import type { Context, Filter, Layer, SpanRef } from "./layer.ts";
import { EMPTY_IDS, FilteredContext, SpanData, SpanTable } from "./span-data.ts";

interface Entry {
  readonly layer: Layer;
  readonly filter: Filter | undefined;
  /** Bit for per-layer filtering of spans (filtered layers only; 0 for unfiltered). */
  readonly bit: number;
  /** The context this layer sees: the registry, or a view limited to its filter's spans. */
  readonly ctx: Context;
}

export class Registry implements Subscriber, Context {
  readonly #spans = new SpanTable();
  readonly #entries: Entry[] = [];
  // Per-notification lists, so the hot paths loop only over layers that listen.
  #filtered: Entry[] = [];
  #onNewSpan: Entry[] = [];
  #onRecord: Entry[] = [];
  #onFollows: Entry[] = [];
  #onEvent: Entry[] = [];
  /** Global layers that look at an event's field values before it goes anywhere. */
  #eventFilters: Entry[] = [];
  #onEnter: Entry[] = [];
  #onExit: Entry[] = [];
  #onClose: Entry[] = [];
  /** Ids count up and are never reused; the map is keyed by their number form (cheaper to hash). */
  #nextId = 1;
  #nextBit = 0;
  /** The newest span: most enter/exit/close calls are for it, and this skips a Map lookup. */
  #last: SpanData | undefined;

  #get(id: bigint): SpanData | undefined {
    const last = this.#last;
    return last !== undefined && last.id === id ? last : this.#spans.get(id);
  }

  /** Adds a layer, optionally with a filter that applies to this layer only. */
  with(layer: Layer, filter?: Filter): this {
    if (filter !== undefined && this.#nextBit >= 31) {
      throw new RangeError(
        "PERISCOPE_TOO_MANY_FILTERS: at most 31 per-layer filters per registry; combine filters or use another registry",
      );
    }
    const bit = filter === undefined ? 0 : 1 << this.#nextBit++;
    const ctx = filter === undefined ? this : new FilteredContext(this.#spans, bit, this);
    this.#entries.push({ layer, filter, bit, ctx });
    const es = this.#entries;
    this.#filtered = es.filter((e) => e.filter !== undefined);
    this.#onNewSpan = es.filter(
      (e) => e.layer.onNewSpan !== undefined || e.filter?.onNewSpan !== undefined,
    );
    this.#onRecord = es.filter(
      (e) => e.layer.onRecord !== undefined || e.filter?.onRecord !== undefined,
    );
    this.#onFollows = es.filter((e) => e.layer.onFollowsFrom !== undefined);
    this.#onEvent = es.filter((e) => e.layer.onEvent !== undefined);
    this.#eventFilters = es.filter(
      (e) => e.filter === undefined && e.layer.eventEnabled !== undefined,
    );
    this.#onEnter = es.filter(
      (e) => e.layer.onEnter !== undefined || e.filter?.onEnter !== undefined,
    );
    this.#onExit = es.filter((e) => e.layer.onExit !== undefined || e.filter?.onExit !== undefined);
    this.#onClose = es.filter((e) => e.layer.onClose !== undefined);
    layer.onRegister?.();
    if (globalDefault() === this) rebuildInterest();
    return this;
  }

  /** Installs this registry as the global subscriber. */
  init(): this {
    setGlobalDefault(this);
    return this;
  }

  /** Number of live (not yet closed) spans; for tests and leak checks. */
  get liveSpans(): number {
    return this.#spans.size;
  }

  // ---- Context ----

  span(id: bigint): SpanRef | undefined {
    return this.#get(id);
  }
  current(): SpanRef | undefined {
    const cur = currentSpan();
    if (cur.subscriber !== this || cur.id === undefined) return undefined;
    return this.#get(cur.id);
  }
  eventSpan(event: EventRecord): SpanRef | undefined {
    return event.parent === undefined ? undefined : this.#get(event.parent);
  }
  spanScope(id: bigint | undefined): SpanRef[] {
    const d = id === undefined ? undefined : this.#get(id);
    return d === undefined ? [] : d.scope();
  }

  // ---- Subscriber ----

  registerCallsite(metadata: Metadata): Interest {
    let observers = false;
    let sometimes = false;
    let filtered: Interest = Interest.NEVER;
    for (const { layer, filter } of this.#entries) {
      if (filter === undefined) {
        if (layer.register) {
          // ALWAYS and NEVER are final: the layer's enabled() is not asked for this callsite.
          const i = layer.register(metadata);
          if (i === Interest.NEVER) return Interest.NEVER;
          if (i === Interest.SOMETIMES) sometimes = true;
        } else if (layer.enabled) {
          sometimes = true;
        }
        if (isObserver(layer)) observers = true;
      } else {
        const i = filter.callsiteEnabled ? filter.callsiteEnabled(metadata) : Interest.SOMETIMES;
        if (i > filtered) filtered = i;
      }
    }
    const base = observers ? Interest.ALWAYS : filtered;
    if (base === Interest.NEVER) return Interest.NEVER;
    return sometimes ? Interest.SOMETIMES : base;
  }

  maxLevelHint(): LevelFilter | undefined {
    let cap: LevelFilter = LevelFilter.TRACE;
    let observers: LevelFilter = LevelFilter.OFF;
    for (const { layer, filter } of this.#entries) {
      if (filter === undefined) {
        const h = layer.maxLevelHint?.();
        if (h !== undefined && h > cap) cap = h;
        if (isObserver(layer)) observers = LevelFilter.TRACE;
      } else if (isObserver(layer)) {
        const h = filter.maxLevelHint?.() ?? LevelFilter.TRACE;
        if (h < observers) observers = h;
      }
    }
    return cap > observers ? cap : observers;
  }

  enabled(metadata: Metadata): boolean {
    let observers = false;
    for (const { layer, filter } of this.#entries) {
      if (filter !== undefined) continue;
      if (layer.enabled && !layer.enabled(metadata, this)) return false;
      if (isObserver(layer)) observers = true;
    }
    if (observers) return true;
    for (const e of this.#filtered) {
      if ((e.filter as Filter).enabled(metadata, e.ctx)) return true;
    }
    return false;
  }

  newSpan(attrs: SpanAttributes): bigint {
    const key = this.#nextId++;
    const id = BigInt(key);
    const spans = this.#spans;
    const data = new SpanData(id, key, attrs, spans);
    const parentId = attrs.parent;
    if (parentId !== undefined) {
      const parent = this.#get(parentId);
      if (parent !== undefined) parent.refs++;
    }
    spans.insert(data);
    this.#last = data;
    const filtered = this.#filtered;
    const listeners = this.#onNewSpan;
    if (filtered.length === 0 && listeners.length === 0) return id;
    const withId = { metadata: attrs.metadata, fields: attrs.fields, parent: parentId, id };
    for (const e of filtered) {
      const f = e.filter as Filter;
      try {
        if (!f.enabled(attrs.metadata, e.ctx)) continue;
        if (f.spanEnabled && !f.spanEnabled(withId, e.ctx)) continue;
      } catch {
        continue;
      }
      data.mask |= e.bit;
    }
    for (const e of listeners) {
      if (e.bit !== 0 && (data.mask & e.bit) === 0) continue;
      try {
        e.filter?.onNewSpan?.(withId, e.ctx);
        e.layer.onNewSpan?.(withId, e.ctx);
      } catch {
        // One layer's failure must not reach the program or the other layers.
      }
    }
    return id;
  }

  record(id: bigint, values: Fields): void {
    const data = this.#get(id);
    if (data === undefined) return;
    if (!data.ownFields) {
      data.fields = { ...data.fields };
      data.ownFields = true;
    }
    Object.assign(data.fields, values);
    for (const e of this.#onRecord) {
      try {
        e.filter?.onRecord?.(id, values, e.ctx);
        if (e.bit === 0 || data.mask & e.bit) e.layer.onRecord?.(id, values, e.ctx);
      } catch {
        // as above
      }
    }
  }

  recordFollowsFrom(id: bigint, follows: bigint): void {
    const data = this.#get(id);
    if (data === undefined) return;
    data.followsFrom = data.followsFrom === EMPTY_IDS ? [follows] : [...data.followsFrom, follows];
    for (const e of this.#onFollows) {
      if (e.bit !== 0 && (data.mask & e.bit) === 0) continue;
      try {
        e.layer.onFollowsFrom?.(id, follows, e.ctx);
      } catch {
        // as above
      }
    }
  }

  event(event: EventRecord): void {
    for (const e of this.#eventFilters) {
      try {
        if (!(e.layer.eventEnabled as NonNullable<Layer["eventEnabled"]>)(event, this)) return;
      } catch {
        // A filter that throws filters nothing.
      }
    }
    for (const e of this.#onEvent) {
      try {
        const f = e.filter;
        if (f !== undefined) {
          if (!f.enabled(event.metadata, e.ctx)) continue;
          if (f.eventEnabled !== undefined && !f.eventEnabled(event, e.ctx)) continue;
        }
        e.layer.onEvent?.(event, e.ctx);
      } catch {
        // as above
      }
    }
  }

  enter(id: bigint, at?: number): void {
    const list = this.#onEnter;
    if (list.length === 0) return;
    const data = this.#get(id);
    if (data === undefined) return;
    for (const e of list) {
      if (e.bit !== 0 && (data.mask & e.bit) === 0) continue;
      try {
        e.filter?.onEnter?.(id, e.ctx);
        e.layer.onEnter?.(id, e.ctx, at);
      } catch {
        // as above
      }
    }
  }

  exit(id: bigint, at?: number): void {
    const list = this.#onExit;
    if (list.length === 0) return;
    const data = this.#get(id);
    if (data === undefined) return;
    for (const e of list) {
      if (e.bit !== 0 && (data.mask & e.bit) === 0) continue;
      try {
        e.layer.onExit?.(id, e.ctx, at);
        e.filter?.onExit?.(id, e.ctx);
      } catch {
        // as above
      }
    }
  }

  cloneSpan(id: bigint): bigint {
    const data = this.#get(id);
    if (data !== undefined) data.refs++;
    return id;
  }

  tryClose(id: bigint): boolean {
    let data = this.#get(id);
    if (data === undefined || --data.refs > 0) return false;
    // Closing a child releases the reference it held on its parent, which may close too.
    while (data !== undefined) {
      const d: SpanData = data;
      for (const e of this.#onClose) {
        if (e.bit !== 0 && (d.mask & e.bit) === 0) continue;
        try {
          e.layer.onClose?.(d.id, e.ctx);
        } catch {
          // as above
        }
      }
      this.#spans.remove(d);
      if (this.#last === d) this.#last = undefined;
      const parent = d.parentId === undefined ? undefined : this.#get(d.parentId);
      data = parent !== undefined && --parent.refs === 0 ? parent : undefined;
    }
    return true;
  }
}

/** A layer that only filters (EnvFilter used globally) does not by itself enable anything. */
function isObserver(layer: Layer): boolean {
  if (layer.filterOnly === true) return false;
  return (
    layer.onEvent !== undefined ||
    layer.onNewSpan !== undefined ||
    layer.onClose !== undefined ||
    layer.onEnter !== undefined
  );
}

/** A new, empty Registry: add layers with .with(layer[, filter]) and install with .init(). */
export function registry(): Registry {
  return new Registry();
}
