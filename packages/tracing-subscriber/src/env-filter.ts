// EnvFilter: tracing-subscriber's directive filter, read from PERISCOPE_LOG. Static directives
// decide interest once per callsite; span and field directives follow the entered spans.
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type EventRecord,
  type Fields,
  Interest,
  type Level,
  LevelFilter,
  type Metadata,
  rebuildInterest,
  type SpanAttributes,
} from "@periscope/tracing";
import {
  type Directive,
  directiveSet,
  dynamicCares,
  formatDirective,
  isDynamic,
  isStatic,
  parseDirectives,
  staticCares,
  type ValueMatch,
  valueMatches,
} from "./directive.ts";
import type { Context, Filter, Layer } from "./layer.ts";

export interface EnvFilterOptions {
  /** Environment variable read by `EnvFilter.fromEnv`; default `PERISCOPE_LOG`. */
  env?: string;
  /**
   * Directives used when the variable is unset or empty, or when none of its directives is
   * valid; default `"error"`, as tracing-subscriber.
   */
  defaultDirective?: string;
  /** Where warnings about invalid directives go; default: one line on stderr each. */
  onWarning?: (message: string) => void;
  /** The environment to read; default `process.env` (inject it in tests). */
  environment?: Readonly<Record<string, string | undefined>>;
}

/** Swaps an EnvFilter's directives at run time; see `EnvFilter.reloadHandle()`. */
export interface ReloadHandle {
  reload(spec: string): void;
  current(): string;
}

/** Field-value directives for one span callsite (upstream's CallsiteMatcher). */
interface CallsiteMatcher {
  readonly gen: number;
  readonly matches: readonly {
    readonly fields: [string, ValueMatch][];
    readonly level: LevelFilter;
  }[];
}

/** One span's progress against its callsite's matchers; a field once matched stays matched. */
interface SpanMatcher {
  readonly gen: number;
  readonly cs: CallsiteMatcher;
  readonly matched: boolean[][];
}

/** The entered spans' most verbose level, per async context (upstream keeps it per thread). */
interface Scope {
  readonly id: bigint;
  readonly level: LevelFilter;
  readonly prev: Scope | undefined;
}

/**
 * Filters spans and events by directives such as `warn,mini_redis=debug,[request{id=7}]=trace`.
 * Use it as a global filter, `registry().with(filter)`, or for one layer only,
 * `registry().with(fmtLayer(), filter)`; `reload(spec)` swaps its directives at run time.
 */
export class EnvFilter implements Layer, Filter {
  /** Listens to spans only to decide; records nothing (see Layer.filterOnly). */
  readonly filterOnly = true;
  #statics: Directive[] = [];
  #dynamics: Directive[] = [];
  #staticMin: LevelFilter = LevelFilter.OFF;
  #dynMin: LevelFilter = LevelFilter.OFF;
  #valueFilters = false;
  #fieldStatics = false;
  #spec = "";
  /** Bumped on reload, so cached matchers are rebuilt. */
  #gen = 0;
  #callsites = new WeakMap<Metadata, CallsiteMatcher | null>();
  readonly #key = Symbol("EnvFilter span matcher");
  readonly #scope = new AsyncLocalStorage<Scope>();
  readonly #source: string;
  readonly #default: string;
  readonly #warn: (message: string) => void;

  constructor(spec: string, opts: EnvFilterOptions = {}) {
    this.#source = opts.env ?? "filter";
    this.#default = opts.defaultDirective ?? "error";
    this.#warn = opts.onWarning ?? ((m) => process.stderr.write(`${m}\n`));
    this.#install(spec);
  }

  /** Reads directives from `PERISCOPE_LOG` (or `opts.env`), falling back to `defaultDirective`. */
  static fromEnv(opts: EnvFilterOptions = {}): EnvFilter {
    const name = opts.env ?? "PERISCOPE_LOG";
    const value = (opts.environment ?? process.env)[name] ?? "";
    return new EnvFilter(value, { ...opts, env: name });
  }

  /** The directives in force, as given (the default when none given was valid). */
  get directives(): string {
    return this.#spec;
  }

  /** Replaces the directives and re-asks every callsite's interest. Invalid ones are warned about. */
  reload(spec: string): void {
    this.#install(spec);
    rebuildInterest();
  }

  /** A handle to give to code that should only be able to change the directives (an admin endpoint). */
  reloadHandle(): ReloadHandle {
    return { reload: (spec) => this.reload(spec), current: () => this.#spec };
  }

  /**
   * Adds one directive, as upstream's `add_directive`: it joins the ones in force (replacing
   * the same directive), and every callsite's interest is asked again. Throws on an invalid one.
   */
  addDirective(directive: string): this {
    const { directives, errors } = parseDirectives(directive);
    const bad = errors[0];
    if (bad !== undefined || directives.length !== 1) {
      const why = bad === undefined ? "give exactly one directive" : bad.reason;
      throw Object.assign(
        new Error(
          `PERISCOPE_BAD_DIRECTIVE: cannot add directive ${JSON.stringify(directive)}: ${why}. Fix it, or use reload() for a list.`,
        ),
        { code: "PERISCOPE_BAD_DIRECTIVE" },
      );
    }
    this.reload(`${this.#spec},${directive.trim()}`);
    return this;
  }

  /** The directives in force as upstream's Display writes them: statics, then dynamics. */
  toString(): string {
    return [
      ...this.#statics.map((d) => formatDirective(d, true)),
      ...this.#dynamics.map((d) => formatDirective(d)),
    ].join(",");
  }

  #install(spec: string): void {
    let { directives, errors } = parseDirectives(spec);
    for (const e of errors) {
      this.#warn(
        `periscope: ignoring invalid ${this.#source} directive "${e.directive}": ${e.reason} (PERISCOPE_BAD_DIRECTIVE). Fix or remove it; the other directives still apply.`,
      );
    }
    let effective = spec;
    if (directives.length === 0) {
      // As upstream: with no valid directive at all, the default applies (errors still show).
      directives = parseDirectives(this.#default).directives;
      effective = this.#default;
      if (spec.trim() !== "")
        this.#warn(
          `periscope: no valid ${this.#source} directive; using the default "${this.#default}" (PERISCOPE_BAD_DIRECTIVE).`,
        );
    }
    // A field-names-only directive (`[{user}]=debug`) is both, as upstream's make_tables.
    this.#statics = directiveSet(directives.filter(isStatic));
    this.#dynamics = directiveSet(directives.filter(isDynamic));
    this.#staticMin = minLevel(this.#statics);
    this.#dynMin = minLevel(this.#dynamics);
    this.#fieldStatics = this.#statics.some((d) => d.fields.length > 0);
    this.#valueFilters = this.#dynamics.some((d) => d.fields.some((f) => f.value !== undefined));
    this.#spec = effective;
    this.#callsites = new WeakMap();
    this.#gen++;
  }

  /** The first (most specific) static directive that applies decides. */
  #staticEnabled(meta: Metadata, names: readonly string[] = meta.fields): boolean {
    for (const d of this.#statics) if (staticCares(d, meta, names)) return meta.level >= d.level;
    return false;
  }

  /**
   * Logger events declare no fields, so a static field-name directive (`[{user}]=debug`) can
   * be judged only once the event's fields are known: until then, could any directive enable it?
   */
  #undeclared(meta: Metadata): boolean {
    return this.#fieldStatics && meta.kind === "event" && meta.fields.length === 0;
  }

  #couldEnable(meta: Metadata): boolean {
    for (const d of this.#statics) {
      if (d.target !== undefined && !meta.target.startsWith(d.target)) continue;
      if (meta.level >= d.level) return true;
    }
    return false;
  }

  /**
   * Upstream's `Dynamics::matcher`: every dynamic directive that cares about this span callsite,
   * each with its field-value matchers (none: matched from the start).
   */
  #matcher(meta: Metadata): CallsiteMatcher | undefined {
    const cached = this.#callsites.get(meta);
    if (cached !== undefined) return cached ?? undefined;
    const matches: CallsiteMatcher["matches"][number][] = [];
    for (const d of this.#dynamics) {
      if (!dynamicCares(d, meta)) continue;
      const fields: [string, ValueMatch][] = [];
      for (const f of d.fields) if (f.value !== undefined) fields.push([f.name, f.value]);
      matches.push({ fields, level: d.level });
    }
    const m = matches.length === 0 ? null : { gen: this.#gen, matches };
    this.#callsites.set(meta, m);
    return m ?? undefined;
  }

  /** The level a span enables while entered: its most verbose fully matched directive. */
  #spanLevel(sm: SpanMatcher): LevelFilter {
    let level: LevelFilter = LevelFilter.OFF;
    sm.cs.matches.forEach((m, i) => {
      if (m.level < level && (sm.matched[i] as boolean[]).every(Boolean)) level = m.level;
    });
    return level;
  }

  #visit(sm: SpanMatcher, values: Fields): void {
    sm.cs.matches.forEach((m, i) => {
      const flags = sm.matched[i] as boolean[];
      m.fields.forEach(([name, vm], j) => {
        if (!flags[j] && name in values && valueMatches(vm, values[name])) flags[j] = true;
      });
    });
  }

  #spanMatcher(id: bigint, ctx: Context): SpanMatcher | undefined {
    const span = ctx.span(id);
    if (span === undefined) return undefined;
    const sm = span.extensions.get(this.#key) as SpanMatcher | undefined;
    if (sm !== undefined && sm.gen === this.#gen) return sm;
    // Made before a reload (or before we saw it): judge it by its fields as they are now.
    const cs = this.#dynamics.length > 0 ? this.#matcher(span.metadata) : undefined;
    if (cs === undefined) {
      span.extensions.delete(this.#key);
      return undefined;
    }
    const fresh = { gen: this.#gen, cs, matched: cs.matches.map((m) => m.fields.map(() => false)) };
    this.#visit(fresh, span.fields);
    span.extensions.set(this.#key, fresh);
    return fresh;
  }

  // ---- Layer (global filter) and Filter (per-layer) ----

  register(meta: Metadata): Interest {
    return this.callsiteEnabled(meta);
  }

  callsiteEnabled(meta: Metadata): Interest {
    const dynamic = this.#dynamics.length > 0;
    // Spans a dynamic directive may match must exist, so that events inside can be enabled.
    if (dynamic && meta.kind === "span" && this.#matcher(meta) !== undefined)
      return Interest.ALWAYS;
    if (this.#staticEnabled(meta)) return Interest.ALWAYS;
    return dynamic && meta.level >= this.#dynMin ? Interest.SOMETIMES : Interest.NEVER;
  }

  enabled(meta: Metadata, _ctx: Context): boolean {
    const level = meta.level;
    if (this.#dynamics.length > 0) {
      // A span callsite a dynamic directive cares about is always made (upstream's
      // `by_cs`, ALWAYS at registration), whatever its level.
      if (meta.kind === "span" && this.#matcher(meta) !== undefined) return true;
      if (this.#inScope(level)) return true;
    }
    if (level < this.#staticMin) return false;
    return this.#undeclared(meta) ? this.#couldEnable(meta) : this.#staticEnabled(meta);
  }

  #inScope(level: Level): boolean {
    if (level < this.#dynMin) return false;
    const scope = this.#scope.getStore();
    return scope !== undefined && level >= scope.level;
  }

  eventEnabled(event: EventRecord, _ctx: Context): boolean {
    const meta = event.metadata;
    if (!this.#undeclared(meta)) return true;
    if (this.#dynamics.length > 0 && this.#inScope(meta.level)) return true;
    return this.#staticEnabled(meta, Object.keys(event.fields));
  }

  maxLevelHint(): LevelFilter {
    // Field values are known only once recorded, so every span must be made (as upstream).
    if (this.#valueFilters) return LevelFilter.TRACE;
    return Math.min(this.#staticMin, this.#dynMin) as LevelFilter;
  }

  onNewSpan(attrs: SpanAttributes & { readonly id: bigint }, ctx: Context): void {
    if (this.#dynamics.length > 0) this.#spanMatcher(attrs.id, ctx);
  }

  onRecord(id: bigint, values: Fields, ctx: Context): void {
    if (this.#dynamics.length === 0) return;
    const sm = this.#spanMatcher(id, ctx);
    if (sm !== undefined) this.#visit(sm, values);
  }

  onEnter(id: bigint, ctx: Context): void {
    if (this.#dynamics.length === 0) return;
    const sm = this.#spanMatcher(id, ctx);
    if (sm === undefined) return;
    const prev = this.#scope.getStore();
    const own = this.#spanLevel(sm);
    const level = prev !== undefined && prev.level < own ? prev.level : own;
    // enterWith, as Span.inScope does for the current span: what runs (and is scheduled)
    // until the matching exit sees this scope.
    this.#scope.enterWith({ id, level, prev });
  }

  onExit(id: bigint, _ctx: Context): void {
    const scope = this.#scope.getStore();
    if (scope !== undefined && scope.id === id) this.#scope.enterWith(scope.prev as Scope);
  }
}

function minLevel(ds: readonly Directive[]): LevelFilter {
  let min: LevelFilter = LevelFilter.OFF;
  for (const d of ds) if (d.level < min) min = d.level;
  return min;
}

/** An EnvFilter from explicit directives, or from `PERISCOPE_LOG` when `spec` is undefined. */
export function envFilter(spec?: string, opts: EnvFilterOptions = {}): EnvFilter {
  return spec === undefined ? EnvFilter.fromEnv(opts) : new EnvFilter(spec, opts);
}
