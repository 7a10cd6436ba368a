// The Registry: the Subscriber that owns span data (ids, parents, fields, extensions) and fans
// every span and event out to its layers, honouring global filters and per-layer filters.
import {
  currentSpan,
  type EventRecord,
  type Fields,
  type FieldValue,
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

interface Entry {
  readonly layer: Layer;
  readonly filter: Filter | undefined;
  /** Bit for per-layer filtering of spans (filtered layers only). */
  readonly bit: number;
}

class SpanData implements SpanRef {
  readonly id: bigint;
  readonly metadata: Metadata;
  readonly parentId: bigint | undefined;
  readonly fields: Fields;
  followsFrom: bigint[] = EMPTY;
  /** Handles and live children holding the span open. */
  refs = 1;
  /** Which filtered layers see this span. */
  mask = 0;
  #ext: Map<unknown, unknown> | undefined;
  readonly #registry: Registry;

  constructor(id: bigint, attrs: SpanAttributes, registry: Registry) {
    this.id = id;
    this.metadata = attrs.metadata;
    this.parentId = attrs.parent;
    this.fields = { ...attrs.fields };
    this.#registry = registry;
  }
  get extensions(): Map<unknown, unknown> {
    if (this.#ext === undefined) this.#ext = new Map();
    return this.#ext;
  }
  parent(): SpanRef | undefined {
    return this.parentId === undefined ? undefined : this.#registry.span(this.parentId);
  }
  scope(): SpanRef[] {
    const out: SpanRef[] = [];
    for (let s: SpanRef | undefined = this; s !== undefined; s = s.parent()) out.push(s);
    return out;
  }
  field(name: string): FieldValue {
    return this.fields[name];
  }
}
const EMPTY: bigint[] = [];

export class Registry implements Subscriber, Context {
  readonly #spans = new Map<bigint, SpanData>();
  readonly #entries: Entry[] = [];
  #nextId = 1n;
  #nextBit = 0;

  /** Adds a layer, optionally with a filter that applies to this layer only. */
  with(layer: Layer, filter?: Filter): this {
    if (filter !== undefined && this.#nextBit >= 31) {
      throw new RangeError("PERISCOPE_TOO_MANY_FILTERS: at most 31 per-layer filters per registry");
    }
    const bit = filter === undefined ? 0 : 1 << this.#nextBit++;
    this.#entries.push({ layer, filter, bit });
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
    return this.#spans.get(id);
  }
  current(): SpanRef | undefined {
    const cur = currentSpan();
    if (cur.subscriber !== this || cur.id === undefined) return undefined;
    return this.#spans.get(cur.id);
  }
  eventSpan(event: EventRecord): SpanRef | undefined {
    return event.parent === undefined ? undefined : this.#spans.get(event.parent);
  }

  // ---- Subscriber ----

  registerCallsite(metadata: Metadata): Interest {
    let observers = false;
    let sometimes = false;
    let filtered: Interest = Interest.NEVER;
    for (const { layer, filter } of this.#entries) {
      if (filter === undefined) {
        const i = layer.register ? layer.register(metadata) : Interest.ALWAYS;
        if (i === Interest.NEVER) return Interest.NEVER;
        if (i === Interest.SOMETIMES || layer.enabled) sometimes = true;
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
      } else {
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
    for (const { filter } of this.#entries) {
      if (filter?.enabled(metadata, this)) return true;
    }
    return false;
  }

  newSpan(attrs: SpanAttributes): bigint {
    const id = this.#nextId++;
    const data = new SpanData(id, attrs, this);
    if (attrs.parent !== undefined) {
      const parent = this.#spans.get(attrs.parent);
      if (parent !== undefined) parent.refs++;
    }
    this.#spans.set(id, data);
    const withId = { ...attrs, id };
    for (const e of this.#entries) {
      if (e.filter !== undefined) {
        const f = e.filter;
        if (!f.enabled(attrs.metadata, this) || (f.spanEnabled && !f.spanEnabled(attrs, this)))
          continue;
        data.mask |= e.bit;
      }
      if (e.layer.onNewSpan) safe(() => e.layer.onNewSpan?.(withId, this));
    }
    return id;
  }

  record(id: bigint, values: Fields): void {
    const data = this.#spans.get(id);
    if (data === undefined) return;
    Object.assign(data.fields, values);
    for (const e of this.#entries) {
      if (e.layer.onRecord && (e.filter === undefined || data.mask & e.bit))
        safe(() => e.layer.onRecord?.(id, values, this));
    }
  }

  recordFollowsFrom(id: bigint, follows: bigint): void {
    const data = this.#spans.get(id);
    if (data === undefined) return;
    data.followsFrom = data.followsFrom === EMPTY ? [follows] : [...data.followsFrom, follows];
    for (const e of this.#entries) {
      if (e.layer.onFollowsFrom && (e.filter === undefined || data.mask & e.bit))
        safe(() => e.layer.onFollowsFrom?.(id, follows, this));
    }
  }

  event(event: EventRecord): void {
    for (const e of this.#entries) {
      if (!e.layer.onEvent) continue;
      if (e.filter !== undefined && !e.filter.enabled(event.metadata, this)) continue;
      safe(() => e.layer.onEvent?.(event, this));
    }
  }

  enter(id: bigint): void {
    const data = this.#spans.get(id);
    if (data === undefined) return;
    for (const e of this.#entries) {
      if (e.layer.onEnter && (e.filter === undefined || data.mask & e.bit))
        safe(() => e.layer.onEnter?.(id, this));
    }
  }

  exit(id: bigint): void {
    const data = this.#spans.get(id);
    if (data === undefined) return;
    for (const e of this.#entries) {
      if (e.layer.onExit && (e.filter === undefined || data.mask & e.bit))
        safe(() => e.layer.onExit?.(id, this));
    }
  }

  cloneSpan(id: bigint): bigint {
    const data = this.#spans.get(id);
    if (data !== undefined) data.refs++;
    return id;
  }

  tryClose(id: bigint): boolean {
    const data = this.#spans.get(id);
    if (data === undefined) return false;
    if (--data.refs > 0) return false;
    for (const e of this.#entries) {
      if (e.layer.onClose && (e.filter === undefined || data.mask & e.bit))
        safe(() => e.layer.onClose?.(id, this));
    }
    this.#spans.delete(id);
    // A child held its parent open; the parent may close now.
    if (data.parentId !== undefined) this.tryClose(data.parentId);
    return true;
  }
}

/** A layer that only filters (EnvFilter used globally) does not by itself enable anything. */
function isObserver(layer: Layer): boolean {
  return (
    layer.onEvent !== undefined ||
    layer.onNewSpan !== undefined ||
    layer.onClose !== undefined ||
    layer.onEnter !== undefined
  );
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // One layer's failure must not reach the program or the other layers.
  }
}

/** A new, empty Registry: add layers with .with(layer[, filter]) and install with .init(). */
export function registry(): Registry {
  return new Registry();
}
