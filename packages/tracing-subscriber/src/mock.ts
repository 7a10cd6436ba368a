// The test kit, in the spirit of tracing-mock: write what you expect the code under test to
// do as a script (`expect().newSpan("x").enter("x").event({...}).exit("x").close("x")`), run it.
import { AssertionError } from "node:assert";
import { isDeepStrictEqual } from "node:util";
import {
  type EventRecord,
  type Fields,
  type Level,
  levelName,
  withSubscriber,
} from "@periscope/tracing";
import type { Context, Layer } from "./layer.ts";
import { type Registry, registry } from "./registry.ts";

export type NotificationKind =
  | "new_span"
  | "enter"
  | "exit"
  | "close"
  | "event"
  | "record"
  | "follows_from";

/** What the mock saw, in order; `name` is the span's name (or the event's message). */
export interface Notification {
  readonly kind: NotificationKind;
  readonly name: string;
  readonly id?: bigint;
  readonly fields?: Fields;
  readonly level?: Level;
  readonly target?: string;
  /** Name of the parent span (spans and events), undefined for none. */
  readonly parent?: string | undefined;
  readonly follows?: string;
}

/** What to match; omitted properties match anything. `fields` matches a subset, deeply. */
export interface SpanExpectation {
  fields?: Fields;
  level?: Level;
  target?: string;
  /** The parent span's name, or null for a root span. */
  parent?: string | null;
}
export interface EventExpectation extends SpanExpectation {
  message?: string;
}

interface Expected {
  readonly kind: NotificationKind;
  readonly name?: string;
  readonly spec?: EventExpectation;
  readonly follows?: string;
}

function describe(n: Notification | Expected): string {
  const spec = "spec" in n ? n.spec : (n as Notification);
  const parts = [n.kind, n.name === undefined ? "" : JSON.stringify(n.name)];
  if (spec?.fields) parts.push(safeJson(spec.fields));
  if (spec?.level !== undefined) parts.push(levelName(spec.level));
  if (spec?.parent !== undefined) parts.push(`parent=${spec.parent}`);
  if (n.follows !== undefined) parts.push(`follows=${n.follows}`);
  return parts.filter((p) => p !== "").join(" ");
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
  } catch {
    return "[unprintable]";
  }
}

function mismatch(exp: Expected, got: Notification): string | undefined {
  if (exp.kind !== got.kind) return "different kind";
  if (exp.name !== undefined && exp.name !== got.name) return "different name";
  if (exp.follows !== undefined && exp.follows !== got.follows) return "different follows_from";
  const s = exp.spec;
  if (s === undefined) return undefined;
  if (s.level !== undefined && s.level !== got.level) return "different level";
  if (s.target !== undefined && s.target !== got.target) return "different target";
  if (s.parent !== undefined && (s.parent ?? undefined) !== got.parent) return "different parent";
  if (s.fields !== undefined) {
    for (const [k, v] of Object.entries(s.fields)) {
      if (!isDeepStrictEqual(got.fields?.[k], v)) return `field ${k} differs`;
    }
  }
  return undefined;
}

/** A layer that checks notifications against a script as they arrive. */
export class MockLayer implements Layer {
  /** Everything observed, in order (ignored kinds included). */
  readonly seen: Notification[] = [];
  readonly #expected: Expected[];
  readonly #ignored: ReadonlySet<NotificationKind>;
  readonly #names = new Map<bigint, string>();
  #next = 0;
  #failure: string | undefined;

  constructor(expected: Expected[], ignored: ReadonlySet<NotificationKind>) {
    this.#expected = expected;
    this.#ignored = ignored;
  }

  #see(n: Notification): void {
    this.seen.push(n);
    if (this.#ignored.has(n.kind) || this.#failure !== undefined) return;
    const exp = this.#expected[this.#next];
    if (exp === undefined) {
      this.#failure = `unexpected ${describe(n)} after the script ended`;
      return;
    }
    const why = mismatch(exp, n);
    if (why !== undefined) {
      this.#failure = `expectation #${this.#next + 1}: expected ${describe(exp)}, got ${describe(n)} (${why})`;
      return;
    }
    this.#next++;
  }

  #name(id: bigint | undefined): string | undefined {
    return id === undefined ? undefined : (this.#names.get(id) ?? `#${id}`);
  }

  onNewSpan(attrs: {
    id: bigint;
    metadata: EventRecord["metadata"];
    fields: Fields;
    parent: bigint | undefined;
  }): void {
    this.#names.set(attrs.id, attrs.metadata.name);
    const m = attrs.metadata;
    this.#see({
      kind: "new_span",
      name: m.name,
      id: attrs.id,
      fields: { ...attrs.fields },
      level: m.level,
      target: m.target,
      parent: this.#name(attrs.parent),
    });
  }
  onEnter(id: bigint): void {
    this.#see({ kind: "enter", name: this.#name(id) as string, id });
  }
  onExit(id: bigint): void {
    this.#see({ kind: "exit", name: this.#name(id) as string, id });
  }
  onClose(id: bigint): void {
    this.#see({ kind: "close", name: this.#name(id) as string, id });
  }
  onRecord(id: bigint, values: Fields): void {
    this.#see({ kind: "record", name: this.#name(id) as string, id, fields: { ...values } });
  }
  onFollowsFrom(id: bigint, follows: bigint): void {
    this.#see({
      kind: "follows_from",
      name: this.#name(id) as string,
      id,
      follows: this.#name(follows) as string,
    });
  }
  onEvent(event: EventRecord, _ctx: Context): void {
    const m = event.metadata;
    this.#see({
      kind: "event",
      name: event.message ?? m.name,
      fields: { ...event.fields },
      level: m.level,
      target: m.target,
      parent: this.#name(event.parent),
    });
  }

  /** Throws an AssertionError unless every expectation was met and nothing unexpected came. */
  assertFinished(): void {
    const log = this.seen.map((n) => `  ${describe(n)}`).join("\n");
    if (this.#failure !== undefined) {
      throw new AssertionError({ message: `tracing mock: ${this.#failure}\nseen:\n${log}` });
    }
    if (this.#next < this.#expected.length) {
      const rest = this.#expected
        .slice(this.#next)
        .map((e) => `  ${describe(e)}`)
        .join("\n");
      throw new AssertionError({
        message: `tracing mock: ${this.#expected.length - this.#next} expectation(s) not met:\n${rest}\nseen:\n${log}`,
      });
    }
  }
}

/** An expectation script; build it with the chainable methods, then `run(fn)` or `build()`. */
export class Script {
  readonly #expected: Expected[] = [];
  readonly #ignored = new Set<NotificationKind>();

  newSpan(name: string, spec?: SpanExpectation): this {
    this.#expected.push({ kind: "new_span", name, spec });
    return this;
  }
  enter(name: string): this {
    this.#expected.push({ kind: "enter", name });
    return this;
  }
  exit(name: string): this {
    this.#expected.push({ kind: "exit", name });
    return this;
  }
  close(name: string): this {
    this.#expected.push({ kind: "close", name });
    return this;
  }
  /** An event; a string is shorthand for `{ message }`. */
  event(spec: string | EventExpectation = {}): this {
    const s = typeof spec === "string" ? { message: spec } : spec;
    this.#expected.push({ kind: "event", name: s.message, spec: s });
    return this;
  }
  record(name: string, fields: Fields): this {
    this.#expected.push({ kind: "record", name, spec: { fields } });
    return this;
  }
  followsFrom(name: string, follows: string): this {
    this.#expected.push({ kind: "follows_from", name, follows });
    return this;
  }
  /** Notifications of these kinds are recorded but not checked (e.g. "enter", "exit"). */
  ignoring(...kinds: NotificationKind[]): this {
    for (const k of kinds) this.#ignored.add(k);
    return this;
  }

  /** A registry with the mock layer; install it yourself (withSubscriber or init()). */
  build(): { registry: Registry; layer: MockLayer } {
    const layer = new MockLayer([...this.#expected], new Set(this.#ignored));
    return { registry: registry().with(layer), layer };
  }

  /**
   * Runs fn with the mock as the subscriber in scope, then asserts the script finished.
   * For async fn, returns a promise that asserts once fn's promise settles.
   */
  run<T>(fn: () => T): T {
    const { registry: reg, layer } = this.build();
    const r = withSubscriber(reg, fn);
    if (r instanceof Promise) {
      return r.then((v) => {
        layer.assertFinished();
        return v;
      }) as T;
    }
    layer.assertFinished();
    return r;
  }
}

/** Starts an expectation script. */
export function expect(): Script {
  return new Script();
}
