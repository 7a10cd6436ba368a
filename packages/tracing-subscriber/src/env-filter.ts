// EnvFilter: tracing-subscriber's directive filter, read from PERISCOPE_LOG. Static directives
// decide interest once per callsite; span and field-value directives are decided at run time.
import { Interest, LevelFilter, type Metadata, rebuildInterest } from "@periscope/tracing";
import {
  bySpecificity,
  type Directive,
  isDynamic,
  matchesStatic,
  parseDirectives,
  valueMatches,
} from "./directive.ts";
import type { Context, Filter, Layer, SpanRef } from "./layer.ts";

export interface EnvFilterOptions {
  /** Environment variable read by `EnvFilter.fromEnv`; default `PERISCOPE_LOG`. */
  env?: string;
  /** Directives used when the variable is unset or empty; default `"error"`, as tracing-subscriber. */
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

interface Cached {
  readonly gen: number;
  readonly level: LevelFilter;
}

/**
 * Filters spans and events by directives such as `warn,mini_redis=debug,[request{id=7}]=trace`.
 * Use it as a global filter, `registry().with(filter)`, or for one layer only,
 * `registry().with(fmtLayer(), filter)`; `reload(spec)` swaps its directives at run time.
 */
export class EnvFilter implements Layer, Filter {
  #statics: Directive[] = [];
  #dynamics: Directive[] = [];
  #staticMin: LevelFilter = LevelFilter.OFF;
  #dynMin: LevelFilter = LevelFilter.OFF;
  #spec = "";
  /** Bumped on reload, so cached per-span decisions are recomputed. */
  #gen = 0;
  readonly #key = Symbol("EnvFilter span level");
  readonly #source: string;
  readonly #warn: (message: string) => void;

  constructor(spec: string, opts: EnvFilterOptions = {}) {
    this.#source = opts.env ?? "filter";
    this.#warn = opts.onWarning ?? ((m) => process.stderr.write(`${m}\n`));
    this.#install(spec);
  }

  /** Reads directives from `PERISCOPE_LOG` (or `opts.env`), falling back to `defaultDirective`. */
  static fromEnv(opts: EnvFilterOptions = {}): EnvFilter {
    const name = opts.env ?? "PERISCOPE_LOG";
    const value = (opts.environment ?? process.env)[name];
    const spec =
      value === undefined || value.trim() === "" ? (opts.defaultDirective ?? "error") : value;
    return new EnvFilter(spec, { ...opts, env: name });
  }

  /** The directives in force, as given. */
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

  toString(): string {
    return this.#spec;
  }

  #install(spec: string): void {
    const { directives, errors } = parseDirectives(spec);
    for (const e of errors) {
      this.#warn(
        `periscope: ignoring invalid ${this.#source} directive "${e.directive}": ${e.reason} (PERISCOPE_BAD_DIRECTIVE). Fix or remove it; the other directives still apply.`,
      );
    }
    const statics = directives.filter((d) => !isDynamic(d)).sort(bySpecificity);
    const dynamics = directives.filter(isDynamic).sort(bySpecificity);
    this.#statics = statics;
    this.#dynamics = dynamics;
    this.#staticMin = minLevel(statics);
    this.#dynMin = minLevel(dynamics);
    this.#spec = spec;
    this.#gen++;
  }

  /** The first (most specific) static directive that applies decides. */
  #staticEnabled(meta: Metadata): boolean {
    for (const d of this.#statics) {
      if (matchesStatic(d, meta)) return meta.level >= d.level;
    }
    return false;
  }

  /** Whether a dynamic directive could apply to spans of this callsite. */
  #caresAboutSpan(meta: Metadata): boolean {
    for (const d of this.#dynamics) {
      if (d.span !== undefined && d.span !== meta.name) continue;
      if (d.target !== undefined && !meta.target.startsWith(d.target)) continue;
      if (d.fields.every((f) => meta.fields.includes(f.name))) return true;
    }
    return false;
  }

  /** The level a span enables inside it (OFF when no dynamic directive matches), cached. */
  #spanLevel(span: SpanRef): LevelFilter {
    const ext = span.extensions;
    const c = ext.get(this.#key) as Cached | undefined;
    if (c !== undefined && c.gen === this.#gen) return c.level;
    let level: LevelFilter = LevelFilter.OFF;
    const meta = span.metadata;
    for (const d of this.#dynamics) {
      if (d.span !== undefined && d.span !== meta.name) continue;
      if (d.target !== undefined && !meta.target.startsWith(d.target)) continue;
      if (!d.fields.every((f) => f.name in span.fields && valueMatches(f, span.fields[f.name])))
        continue;
      level = d.level;
      break;
    }
    ext.set(this.#key, { gen: this.#gen, level });
    return level;
  }

  // ---- Layer (global filter) and Filter (per-layer) ----

  register(meta: Metadata): Interest {
    return this.callsiteEnabled(meta);
  }

  callsiteEnabled(meta: Metadata): Interest {
    if (meta.kind === "span" && this.#dynamics.length > 0 && this.#caresAboutSpan(meta)) {
      // Spans a dynamic directive may match must exist so that events inside can be enabled.
      return Interest.ALWAYS;
    }
    if (meta.level >= this.#staticMin && this.#staticEnabled(meta)) return Interest.ALWAYS;
    return this.#dynamics.length > 0 && meta.level >= this.#dynMin
      ? Interest.SOMETIMES
      : Interest.NEVER;
  }

  enabled(meta: Metadata, ctx: Context): boolean {
    const level = meta.level;
    if (this.#dynamics.length > 0 && level >= this.#dynMin) {
      if (meta.kind === "span" && this.#caresAboutSpan(meta)) return true;
      for (let s = ctx.current(); s !== undefined; s = s.parent()) {
        if (level >= this.#spanLevel(s)) return true;
      }
    }
    return level >= this.#staticMin && this.#staticEnabled(meta);
  }

  maxLevelHint(): LevelFilter {
    return Math.min(this.#staticMin, this.#dynMin) as LevelFilter;
  }

  onRecord(id: bigint, _values: unknown, ctx: Context): void {
    // A recorded field may make a field-value directive match (or stop matching).
    if (this.#dynamics.length > 0) ctx.span(id)?.extensions.delete(this.#key);
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
