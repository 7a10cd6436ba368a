// Callsites: a span or event declared once, with its interest cached. A disabled callsite costs
// one compare against the global max-level hint and one load of its cached interest.
import { fromPerformance, now } from "./clock.ts";
import { currentSubscriber, type Registered, registerCallsite, state } from "./dispatch.ts";
import type { Level } from "./level.ts";
import type { Fields, Kind, Metadata } from "./metadata.ts";
import { makeSpan, type ParentOption, Span } from "./span.ts";
import { type EventRecord, Interest } from "./subscriber.ts";

export interface CallsiteOptions {
  kind: Kind;
  level: Level;
  target: string;
  name: string;
  fields?: readonly string[];
  file?: string;
  line?: number;
  column?: number;
}

export class Callsite implements Registered {
  readonly metadata: Metadata;
  interest: Interest = Interest.NEVER;
  readonly #level: Level;

  /** `transient` is for the Logger's overflow callsites: interest asked once, not kept. */
  constructor(opts: CallsiteOptions, transient = false) {
    this.metadata = Object.freeze({
      name: opts.name,
      target: opts.target,
      level: opts.level,
      kind: opts.kind,
      fields: Object.freeze([...(opts.fields ?? [])]),
      file: opts.file,
      line: opts.line,
      column: opts.column,
    });
    this.#level = opts.level;
    registerCallsite(this, transient);
  }

  /** Whether a span or event here would be recorded now. */
  enabled(): boolean {
    if (this.#level < state.maxLevel) return false;
    const interest = this.interest;
    if (interest === Interest.ALWAYS) return true;
    if (interest === Interest.NEVER) return false;
    try {
      return currentSubscriber().enabled(this.metadata);
    } catch {
      return false;
    }
  }

  /** A new span for this (span) callsite, or a disabled span when it is not enabled. */
  span(fields: Fields = {}, parent?: ParentOption): Span {
    if (!this.enabled()) return Span.none();
    return makeSpan(this.metadata, fields, parent);
  }

  /** Emits an event for this (event) callsite if it is enabled. */
  /** `at`: the instant on the `performance.now()` scale, if the caller has just read it. */
  event(fields: Fields = {}, message?: string, parent?: ParentOption, at?: number): void {
    if (!this.enabled()) return;
    dispatchEvent(this.metadata, message, fields, parent, at);
  }
}

/**
 * An event as subscribers get it. The clock is read when a subscriber first asks for the
 * timestamp, during the dispatch: the console's waker and state events never need it, and a
 * clock read is most of what such an event costs to send.
 */
class DispatchedEvent implements EventRecord {
  readonly metadata: Metadata;
  readonly message: string | undefined;
  readonly fields: Fields;
  readonly parent: bigint | undefined;
  readonly at: number | undefined;
  #timestamp: number | undefined;

  constructor(
    metadata: Metadata,
    message: string | undefined,
    fields: Fields,
    parent: bigint | undefined,
    at: number | undefined,
  ) {
    this.metadata = metadata;
    this.message = message;
    this.fields = fields;
    this.parent = parent;
    this.at = at;
  }

  get timestamp(): number {
    this.#timestamp ??= this.at === undefined ? now() : fromPerformance(this.at);
    return this.#timestamp;
  }
}

/** Sends an event the caller already found enabled to the subscriber in scope. */
export function dispatchEvent(
  metadata: Metadata,
  message: string | undefined,
  fields: Fields,
  parent: ParentOption,
  at?: number,
): void {
  const sub = currentSubscriber();
  let pid: bigint | undefined;
  if (parent !== null) {
    const p = parent ?? state.current.getStore();
    if (p !== undefined && p.subscriber === sub) pid = p.id;
  }
  try {
    sub.event(new DispatchedEvent(metadata, message, fields, pid, at));
  } catch {
    // A subscriber that throws loses its own data; the program goes on.
  }
}

/** Declares a callsite; do it once, at module level, and keep the result. */
export function callsite(opts: CallsiteOptions): Callsite {
  return new Callsite(opts);
}
