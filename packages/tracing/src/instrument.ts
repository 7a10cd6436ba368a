// instrument(): wraps a function so each call runs in its own span, like tracing's
// #[instrument]. The wrapper returns exactly what the function returns (the same promise
// object) and throws exactly what it throws; errors and return values may be recorded as events.
import { state } from "./dispatch.ts";
import { Level } from "./level.ts";
import { logger } from "./logger.ts";
import type { Fields, FieldValue } from "./metadata.ts";
import type { Span } from "./span.ts";

export interface InstrumentOptions<A extends unknown[]> {
  /** Span name; defaults to the function's name. */
  name?: string;
  /** Defaults to "app". */
  target?: string;
  /** Defaults to INFO, as in tracing. */
  level?: Level;
  /** Names for the positional arguments, recorded as fields (JS has no parameter names at run time). */
  args?: readonly string[];
  /** Argument names (from `args`) not to record. */
  skip?: readonly string[];
  /** Computes fields from the arguments; merged after `args`. */
  fields?: (...args: A) => Fields;
  /** Record the return value (resolved value for promises) as an event with field `return`. */
  ret?: boolean;
  /** Record a thrown error (or rejection) as an ERROR event with field `error`. */
  err?: boolean;
}

type AnyFn<A extends unknown[], R, This = unknown> = (this: This, ...args: A) => R;

export function instrument<A extends unknown[], R, This = unknown>(
  fn: AnyFn<A, R, This>,
  opts: InstrumentOptions<A> = {},
): AnyFn<A, R, This> {
  const name = opts.name ?? (fn.name || "anonymous");
  const level = opts.level ?? Level.INFO;
  const log = logger(opts.target ?? "app");
  const argNames = opts.args ?? [];
  const skip = new Set(opts.skip ?? []);
  const declared: Fields = {};
  for (const a of argNames) if (!skip.has(a)) declared[a] = undefined;
  const cs = log.spanCallsite(level, name, declared);

  const wrapped = function (this: This, ...args: A): R {
    if (level < state.maxLevel || !cs.enabled()) return fn.apply(this, args);
    const span = cs.span(fieldsFor(args));
    let result: R;
    try {
      result = span.inScope(() => fn.apply(this, args));
    } catch (e) {
      if (opts.err) recordError(span, e);
      span.close();
      throw e;
    }
    // Only native promises: calling .then on other thenables can start work (query builders).
    if (result instanceof Promise) {
      result.then(
        (v: unknown) => {
          if (opts.ret) recordReturn(span, v);
          span.close();
        },
        (e: unknown) => {
          if (opts.err) recordError(span, e);
          span.close();
        },
      );
    } else {
      if (opts.ret) recordReturn(span, result);
      span.close();
    }
    return result;
  };

  function fieldsFor(args: A): Fields {
    const f: Fields = {};
    for (let i = 0; i < argNames.length; i++) {
      const n = argNames[i] as string;
      if (!skip.has(n)) f[n] = args[i] as FieldValue;
    }
    if (opts.fields) {
      try {
        Object.assign(f, opts.fields(...args));
      } catch {
        // A throwing field function must not change the call's outcome.
      }
    }
    return f;
  }

  function recordReturn(span: Span, v: unknown): void {
    span.inScope(() => log.event(level, "return", { return: v as FieldValue }));
  }
  function recordError(span: Span, e: unknown): void {
    span.inScope(() => log.error("error", { error: e as FieldValue }));
  }

  Object.defineProperty(wrapped, "name", { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, "length", { value: fn.length, configurable: true });
  return wrapped;
}

/**
 * A method decorator: `@instrumented({ err: true }) async get(key) {…}`. Works with TypeScript's
 * standard decorators and with `experimentalDecorators`. The span name defaults to the method name.
 */
export function instrumented(opts: InstrumentOptions<unknown[]> = {}) {
  return function decorate(target: unknown, context: unknown, descriptor?: PropertyDescriptor) {
    if (descriptor !== undefined && typeof descriptor.value === "function") {
      // experimentalDecorators: (prototype, key, descriptor)
      descriptor.value = instrument(descriptor.value, { name: String(context), ...opts });
      return descriptor;
    }
    // Standard decorators: (method, { kind: "method", name })
    const ctx = context as { kind?: string; name?: string | symbol };
    if (typeof target !== "function" || ctx?.kind !== "method") {
      throw new TypeError("@instrumented() applies to methods");
    }
    return instrument(target as AnyFn<unknown[], unknown>, { name: String(ctx.name), ...opts });
  };
}
