// The Layer and Filter contracts, as tokio's tracing-subscriber defines them: the Registry owns
// span data and ids; layers observe spans and events and keep their own data in extensions.
import type {
  EventRecord,
  Fields,
  FieldValue,
  Interest,
  LevelFilter,
  Metadata,
  SpanAttributes,
} from "@periscope/tracing";

/** A live span as layers see it, through the Registry. */
export interface SpanRef {
  readonly id: bigint;
  readonly metadata: Metadata;
  readonly parentId: bigint | undefined;
  /** Fields given at creation, updated by later records (insertion order kept). */
  readonly fields: Fields;
  /** Spans this one follows from. */
  readonly followsFrom: readonly bigint[];
  /** Per-layer data: key it by a symbol or class your layer owns. */
  readonly extensions: Map<unknown, unknown>;
  parent(): SpanRef | undefined;
  /** This span, then its parent, up to the root. */
  scope(): SpanRef[];
  field(name: string): FieldValue;
}

/**
 * What a layer can look up while handling a notification. A layer added with a per-layer filter
 * gets a Context that sees only the spans its filter enabled (as in tracing-subscriber).
 */
export interface Context {
  span(id: bigint): SpanRef | undefined;
  /** The current span (AsyncLocalStorage), if it belongs to this subscriber and is live. */
  current(): SpanRef | undefined;
  /** The span an event belongs to: its parent, if any. */
  eventSpan(event: EventRecord): SpanRef | undefined;
  /**
   * The span and its ancestors, leaf first, skipping spans this layer's filter did not enable.
   * Prefer it over `SpanRef.scope()` in layers that may be filtered.
   */
  spanScope(id: bigint | undefined): SpanRef[];
}

/**
 * A Layer observes what the Registry records. Every method is optional. A layer's `enabled`
 * returning false disables the span or event for the whole subscriber (a global filter, like
 * EnvFilter used as a layer); to filter only one layer, add it with a Filter instead:
 * `registry().with(layer, filter)`.
 *
 * Interest: `register` is asked once per callsite (and again after `rebuildInterest()`).
 * ALWAYS or NEVER is cached on the callsite and `enabled` is not asked again; SOMETIMES makes
 * the callsite ask `enabled` each time it fires.
 */
export interface Layer {
  /**
   * True for a layer that only filters (EnvFilter): it may listen to spans to decide, but it
   * records nothing, so on its own it does not make the registry enable anything.
   */
  readonly filterOnly?: boolean;
  register?(metadata: Metadata): Interest;
  enabled?(metadata: Metadata, ctx: Context): boolean;
  /**
   * Asked for each event `enabled` let through, with its fields (as tracing-subscriber's
   * `event_enabled`): false drops it for every layer. For filters that match on field names
   * the callsite did not declare (Logger events declare none).
   */
  eventEnabled?(event: EventRecord, ctx: Context): boolean;
  maxLevelHint?(): LevelFilter | undefined;
  onNewSpan?(attrs: SpanAttributes & { readonly id: bigint }, ctx: Context): void;
  onRecord?(id: bigint, values: Fields, ctx: Context): void;
  onFollowsFrom?(id: bigint, follows: bigint, ctx: Context): void;
  onEvent?(event: EventRecord, ctx: Context): void;
  /** `at`: the instant on the `performance.now()` scale, when the caller read it (see Subscriber.enter). */
  onEnter?(id: bigint, ctx: Context, at?: number): void;
  onExit?(id: bigint, ctx: Context, at?: number): void;
  /** Called once the last handle and the last child of the span are gone. */
  onClose?(id: bigint, ctx: Context): void;
  /** Called by the registry when the layer is added; a place to start timers or servers. */
  onRegister?(): void;
}

/** A per-layer filter: decides which spans and events one layer sees. */
export interface Filter {
  callsiteEnabled?(metadata: Metadata): Interest;
  enabled(metadata: Metadata, ctx: Context): boolean;
  /** As Layer.eventEnabled, for this filter's layer only. */
  eventEnabled?(event: EventRecord, ctx: Context): boolean;
  /**
   * For filters that match on field values: decide for a span once its fields are known.
   * The registry passes the attributes with the new span's `id`.
   */
  spanEnabled?(attrs: SpanAttributes & { readonly id?: bigint }, ctx: Context): boolean;
  /** Told when a span's fields change, so field-matching filters can re-decide. */
  onRecord?(id: bigint, values: Fields, ctx: Context): void;
  /** Told of each new span this filter enabled, and when it is entered and exited. */
  onNewSpan?(attrs: SpanAttributes & { readonly id: bigint }, ctx: Context): void;
  onEnter?(id: bigint, ctx: Context): void;
  onExit?(id: bigint, ctx: Context): void;
  maxLevelHint?(): LevelFilter | undefined;
}
