// Target-bound loggers: `logger("mini_redis::server").info("accepted", { peer })`. Each logger
// keeps one callsite per level for events and one per (level, name) for spans, so interest is
// cached per target and level, which is what filter directives select on.
import { Callsite, dispatchEvent } from "./callsite.ts";
import { state } from "./dispatch.ts";
import { Level } from "./level.ts";
import type { Fields } from "./metadata.ts";
import { makeSpan, type ParentOption, Span } from "./span.ts";

export interface EventOptions {
  parent?: ParentOption;
}

export interface SpanOptions {
  parent?: ParentOption;
  /** Spans this one follows from (links, in OpenTelemetry). */
  followsFrom?: Span[];
}

export class Logger {
  readonly target: string;
  readonly #events: Callsite[];
  /** Span callsites by level, then name (no string concatenation on the hot path). */
  readonly #spans: Map<string, Callsite>[] = [
    new Map(),
    new Map(),
    new Map(),
    new Map(),
    new Map(),
  ];

  readonly #transient: boolean;
  #spanNames = 0;

  /** `transient` loggers (past the cache limit) keep no callsites registered. */
  constructor(target: string, transient = false) {
    this.target = target;
    this.#transient = transient;
    this.#events = [Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR].map(
      (level) => new Callsite({ kind: "event", level, target, name: "event" }, transient),
    );
  }

  trace(message: string, fields?: Fields, opts?: EventOptions): void {
    if (Level.TRACE >= state.maxLevel) this.#emit(Level.TRACE, message, fields, opts);
  }
  debug(message: string, fields?: Fields, opts?: EventOptions): void {
    if (Level.DEBUG >= state.maxLevel) this.#emit(Level.DEBUG, message, fields, opts);
  }
  info(message: string, fields?: Fields, opts?: EventOptions): void {
    if (Level.INFO >= state.maxLevel) this.#emit(Level.INFO, message, fields, opts);
  }
  warn(message: string, fields?: Fields, opts?: EventOptions): void {
    if (Level.WARN >= state.maxLevel) this.#emit(Level.WARN, message, fields, opts);
  }
  error(message: string, fields?: Fields, opts?: EventOptions): void {
    if (Level.ERROR >= state.maxLevel) this.#emit(Level.ERROR, message, fields, opts);
  }

  /** Emits an event at a level chosen at run time. */
  event(level: Level, message: string, fields?: Fields, opts?: EventOptions): void {
    if (level >= state.maxLevel) this.#emit(level, message, fields, opts);
  }

  /** Whether an event at this level would be recorded (to skip computing costly fields). */
  enabled(level: Level): boolean {
    return level >= state.maxLevel && (this.#events[level] as Callsite).enabled();
  }

  #emit(level: Level, message: string, fields: Fields | undefined, opts: EventOptions | undefined) {
    const cs = this.#events[level] as Callsite;
    if (!cs.enabled()) return;
    dispatchEvent(cs.metadata, message, fields ?? {}, opts?.parent);
  }

  /**
   * A new span. Declare every field it will carry; give `undefined` for those recorded later
   * with `span.record()`.
   */
  span(level: Level, name: string, fields?: Fields, opts?: SpanOptions): Span {
    if (level < state.maxLevel) return Span.none();
    const cs = this.spanCallsite(level, name, fields);
    if (!cs.enabled()) return Span.none();
    const span = makeSpan(cs.metadata, fields ?? {}, opts?.parent);
    if (opts?.followsFrom) for (const f of opts.followsFrom) span.followsFrom(f);
    return span;
  }

  traceSpan(name: string, fields?: Fields, opts?: SpanOptions): Span {
    return this.span(Level.TRACE, name, fields, opts);
  }
  debugSpan(name: string, fields?: Fields, opts?: SpanOptions): Span {
    return this.span(Level.DEBUG, name, fields, opts);
  }
  infoSpan(name: string, fields?: Fields, opts?: SpanOptions): Span {
    return this.span(Level.INFO, name, fields, opts);
  }
  warnSpan(name: string, fields?: Fields, opts?: SpanOptions): Span {
    return this.span(Level.WARN, name, fields, opts);
  }
  errorSpan(name: string, fields?: Fields, opts?: SpanOptions): Span {
    return this.span(Level.ERROR, name, fields, opts);
  }

  /** The callsite a span of this level and name uses (made on first use, then cached). */
  spanCallsite(level: Level, name: string, fields?: Fields): Callsite {
    const byName = this.#spans[level] ?? (this.#spans[level] = new Map());
    let cs = byName.get(name);
    if (cs === undefined) {
      // Span names should be static (put ids in fields); past the limit a name gets a callsite
      // that is not kept, so names made from data cannot grow memory without bound.
      const keep = !this.#transient && this.#spanNames < MAX_CACHED;
      cs = new Callsite(
        {
          kind: "span",
          level,
          target: this.target,
          name,
          fields: fields ? Object.keys(fields) : [],
        },
        !keep,
      );
      if (keep) {
        byName.set(name, cs);
        this.#spanNames++;
      } else {
        warnOnce(
          `periscope: more than ${MAX_CACHED} span names on target ${JSON.stringify(this.target)} (PERISCOPE_TOO_MANY_CALLSITES). Use fixed span names and put variable parts in fields; further names are not cached.`,
        );
      }
    }
    return cs;
  }
}

/** Per logger (span names) and per process (targets): past this, callsites are not kept. */
const MAX_CACHED = 1000;
const loggers = new Map<string, Logger>();
let warned = false;

function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  try {
    process.emitWarning(message, { code: "PERISCOPE_TOO_MANY_CALLSITES" });
  } catch {
    // Warnings are advice; they must not fail the caller.
  }
}

/**
 * The logger for a target, made once and cached (so its callsites are registered once).
 * Targets should be static (module paths); past 1000 of them, new targets get a logger that
 * is not cached.
 */
export function logger(target: string): Logger {
  let l = loggers.get(target);
  if (l === undefined) {
    if (loggers.size >= MAX_CACHED) {
      warnOnce(
        `periscope: more than ${MAX_CACHED} logger targets (PERISCOPE_TOO_MANY_CALLSITES). Use fixed targets such as module paths and put variable parts in fields; further targets are not cached.`,
      );
      return new Logger(target, true);
    }
    l = new Logger(target);
    loggers.set(target, l);
  }
  return l;
}
