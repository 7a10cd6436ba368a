// The Subscriber contract, as tokio's tracing-core defines it: the subscriber decides interest,
// assigns span ids and receives every span and event. Only one is installed at a time.
import type { LevelFilter } from "./level.ts";
import type { Fields, Metadata } from "./metadata.ts";

/** How much a subscriber cares about a callsite, cached on the callsite until interest changes. */
export const Interest = { NEVER: 0, SOMETIMES: 1, ALWAYS: 2 } as const;
export type Interest = (typeof Interest)[keyof typeof Interest];

export interface SpanAttributes {
  readonly metadata: Metadata;
  readonly fields: Fields;
  /** The parent span id: explicit, or the current span, or undefined for a root span. */
  readonly parent: bigint | undefined;
}

export interface EventRecord {
  readonly metadata: Metadata;
  readonly message: string | undefined;
  readonly fields: Fields;
  /** The span the event happened in: explicit, or the current span, or undefined. */
  readonly parent: bigint | undefined;
  /**
   * Wall-clock time in milliseconds since the epoch (fractional where the clock allows). The
   * dispatcher's events read the clock when this is first read: read it while handling the event.
   */
  readonly timestamp: number;
  /**
   * The instant on the `performance.now()` scale when the emitter already read it (the runtime's
   * waker events at a poll's start), so a subscriber need not read the clock again.
   */
  readonly at?: number;
}

/**
 * A Subscriber collects trace data. The dispatcher calls it only for callsites it showed interest
 * in. A Subscriber must never throw: the dispatcher guards each call anyway, and drops what throws.
 */
export interface Subscriber {
  /** Called once per callsite, and again whenever interest is rebuilt. */
  registerCallsite(metadata: Metadata): Interest;
  /** The most verbose level this subscriber will ever enable; undefined means "any". */
  maxLevelHint(): LevelFilter | undefined;
  /** Asked for callsites with Interest.SOMETIMES, each time they fire. */
  enabled(metadata: Metadata): boolean;
  /** Assigns the span an id, unique among live spans, and holds one reference for its handle. */
  newSpan(attrs: SpanAttributes): bigint;
  record(id: bigint, values: Fields): void;
  recordFollowsFrom(id: bigint, follows: bigint): void;
  event(event: EventRecord): void;
  /**
   * `at`, when given, is the instant on the `performance.now()` scale, read once by a caller that
   * exits one span and enters the next at the same boundary (the runtime's poll accounting), so
   * subscribers that time spans need not read the clock again.
   */
  enter(id: bigint, at?: number): void;
  exit(id: bigint, at?: number): void;
  /** Adds a reference to a live span (another handle, or a child). */
  cloneSpan(id: bigint): bigint;
  /** Drops a reference; returns true when that was the last one and the span closed. */
  tryClose(id: bigint): boolean;
}

/** The default: interested in nothing, so every callsite is disabled and costs a compare. */
export class NoSubscriber implements Subscriber {
  registerCallsite(): Interest {
    return Interest.NEVER;
  }
  maxLevelHint(): LevelFilter {
    return 5;
  }
  enabled(): boolean {
    return false;
  }
  newSpan(): bigint {
    return 0n;
  }
  record(): void {}
  recordFollowsFrom(): void {}
  event(): void {}
  enter(): void {}
  exit(): void {}
  cloneSpan(id: bigint): bigint {
    return id;
  }
  tryClose(): boolean {
    return false;
  }
}
