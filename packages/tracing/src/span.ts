// Span handles: a period of time with fields. The subscriber assigns the id; the handle enters the
// span (making it current across await through AsyncLocalStorage), records fields and closes it.
import { type CurrentSpan, currentSubscriber, state } from "./dispatch.ts";
import type { Fields, FieldValue, Metadata } from "./metadata.ts";
import type { Subscriber } from "./subscriber.ts";

/** Where a new span or event gets its parent: a span, null for "root", or undefined for current. */
export type ParentOption = Span | null | undefined;

/** Marks spans of every copy of this package, so a span made by another copy is recognised. */
const SPAN_BRAND = Symbol.for("periscope.tracing.span.v1");

export class Span implements CurrentSpan {
  /** The subscriber's id for this span; undefined when the span is disabled. */
  readonly id: bigint | undefined;
  readonly metadata: Metadata | undefined;
  readonly subscriber: Subscriber | undefined;
  #closed = false;

  constructor(
    id: bigint | undefined,
    metadata: Metadata | undefined,
    subscriber: Subscriber | undefined,
  ) {
    this.id = id;
    this.metadata = metadata;
    this.subscriber = subscriber;
  }

  /** A span that records nothing; all its methods are cheap no-ops. */
  static none(): Span {
    return DISABLED;
  }

  get isDisabled(): boolean {
    return this.id === undefined;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Runs fn inside the span: the span is current for everything fn does, including after
   * `await`, in timers, event-emitter callbacks and streams created inside. Returns what fn
   * returns (the same promise, for async fn) and throws what it throws.
   */
  inScope<T>(fn: () => T): T {
    const id = this.id;
    if (id === undefined || this.#closed) return fn();
    // Hand-inlined AsyncLocalStorage.run (enterWith, then restore in finally): no closure and
    // no rest-argument array per call; this is the hot path of every instrumented call.
    const als = state.current;
    const prior = als.getStore();
    als.enterWith(this);
    const sub = this.subscriber as Subscriber;
    try {
      sub.enter(id);
    } catch {
      // A subscriber that throws loses its own data; the program goes on.
    }
    try {
      return fn();
    } finally {
      try {
        sub.exit(id);
      } catch {
        // as above
      }
      als.enterWith(prior as CurrentSpan);
    }
  }

  /**
   * Makes the span current until the returned guard is disposed (`using _ = span.enter()`).
   * Prefer inScope: a guard that is never disposed leaves the span current for the rest of
   * the synchronous code and everything it schedules.
   */
  enter(): Disposable & { exit(): void } {
    const id = this.id;
    if (id === undefined || this.#closed) return NOOP_GUARD;
    const sub = this.subscriber as Subscriber;
    const prev = state.current.getStore();
    state.current.enterWith(this);
    try {
      sub.enter(id);
    } catch {
      // A subscriber that throws loses its own data; the program goes on.
    }
    // One small object, not two closures and their context: the runtime enters every task span
    // this way, and the guard lives as long as a burst of tasks is in flight.
    return new EnterGuard(sub, id, prev);
  }

  /** Records a value for a field, typically one declared `undefined` when the span was made. */
  record(field: string, value: FieldValue): this {
    const id = this.id;
    if (id === undefined || this.#closed) return this;
    const sub = this.subscriber as Subscriber;
    guard(() => sub.record(id, { [field]: value }));
    return this;
  }

  /** Records several fields at once. */
  recordAll(values: Fields): this {
    const id = this.id;
    if (id === undefined || this.#closed) return this;
    const sub = this.subscriber as Subscriber;
    guard(() => sub.record(id, values));
    return this;
  }

  /** Marks this span as caused by `other` without being its child (a link, in OpenTelemetry). */
  followsFrom(other: Span): this {
    const id = this.id;
    const oid = other.id;
    if (
      id === undefined ||
      oid === undefined ||
      this.#closed ||
      other.subscriber !== this.subscriber
    )
      return this;
    const sub = this.subscriber as Subscriber;
    guard(() => sub.recordFollowsFrom(id, oid));
    return this;
  }

  /**
   * Releases this handle. The subscriber closes the span once no handle or live child holds it.
   * Calling close twice is harmless.
   */
  close(): void {
    const id = this.id;
    if (id === undefined || this.#closed) return;
    this.#closed = true;
    try {
      (this.subscriber as Subscriber).tryClose(id);
    } catch {
      // as above
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

// On the prototype, not each instance: creating a span is a hot path.
Object.defineProperty(Span.prototype, SPAN_BRAND, { value: true });

const DISABLED = new Span(undefined, undefined, undefined);
const NO_CURRENT: CurrentSpan = { id: undefined, subscriber: undefined };
const NOOP_GUARD = { exit(): void {}, [Symbol.dispose](): void {} };

/** What `enter()` returns: exits the span and restores the previous current span, once. */
class EnterGuard implements Disposable {
  #sub: Subscriber | undefined;
  readonly #id: bigint;
  readonly #prev: CurrentSpan | undefined;

  constructor(sub: Subscriber, id: bigint, prev: CurrentSpan | undefined) {
    this.#sub = sub;
    this.#id = id;
    this.#prev = prev;
  }

  // A getter (a closure made per access, not per enter) keeps `const { exit } = span.enter()` working.
  get exit(): () => void {
    return () => this.#exit();
  }

  #exit(): void {
    const sub = this.#sub;
    if (sub === undefined) return;
    this.#sub = undefined;
    try {
      sub.exit(this.#id);
    } catch {
      // as in enter()
    }
    state.current.enterWith(this.#prev ?? NO_CURRENT);
  }

  [Symbol.dispose](): void {
    this.#exit();
  }
}

/** Instrumentation never throws into the user's code: subscriber failures are swallowed here. */
export function guard(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // A subscriber that throws loses its own data; the program goes on.
  }
}

/** The span that is current here, or a disabled span. */
export function currentSpan(): Span {
  const cur = state.current.getStore();
  return cur !== undefined && (cur as unknown as Record<symbol, unknown>)[SPAN_BRAND] === true
    ? (cur as Span)
    : DISABLED;
}

/** Resolves the parent id for a new span or event under `sub`. */
export function resolveParent(parent: ParentOption, sub: Subscriber): bigint | undefined {
  if (parent === null) return undefined;
  const p = parent ?? state.current.getStore();
  if (p === undefined || p.subscriber !== sub) return undefined;
  return p.id;
}

/** Makes a span for metadata that the caller already found enabled. */
export function makeSpan(metadata: Metadata, fields: Fields, parent: ParentOption): Span {
  const sub = currentSubscriber();
  let pid: bigint | undefined;
  if (parent !== null) {
    const p = parent ?? state.current.getStore();
    if (p !== undefined && p.subscriber === sub) pid = p.id;
  }
  let id: bigint;
  try {
    id = sub.newSpan({ metadata, fields, parent: pid });
  } catch {
    return DISABLED;
  }
  return new Span(id, metadata, sub);
}
