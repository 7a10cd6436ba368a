// Errors as tracing-opentelemetry reports them: the message, the chain of causes (Error.cause,
// and AggregateError's errors) and a stack trace that shows every cause, as Java prints them.

/** Causes stop here: a cycle of causes or a very deep chain must not hang the exporter. */
const MAX_CAUSES = 32;

function text(fn: () => unknown, fallback: string): string {
  try {
    return String(fn());
  } catch {
    return fallback;
  }
}

/** `instanceof Error` that survives revoked proxies and throwing `Symbol.hasInstance`. */
export function isError(v: unknown): v is Error {
  try {
    return v instanceof Error;
  } catch {
    return false;
  }
}

/** What `Display` would print upstream: the message, or the name when there is none. */
export function errorMessage(e: unknown): string {
  if (isError(e)) {
    const m = text(() => e.message, "");
    return m === "" ? text(() => e.name, "Error") : m;
  }
  return text(() => e, "[error]");
}

/** The errors behind `e`, nearest first: each `cause` in turn. */
export function causes(e: Error): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>([e]);
  let c: unknown;
  try {
    c = e.cause;
  } catch {
    return out;
  }
  while (c !== undefined && c !== null && !seen.has(c) && out.length < MAX_CAUSES) {
    out.push(c);
    seen.add(c);
    try {
      c = isError(c) ? c.cause : undefined;
    } catch {
      break;
    }
  }
  return out;
}

/** The stack of `e`, then `Caused by: ` and the stack (or text) of each cause. */
export function stackWithCauses(e: Error, chain: readonly unknown[]): string {
  let s = text(() => e.stack ?? `${e.name}: ${e.message}`, "[error]");
  for (const c of chain) {
    const part = isError(c)
      ? text(() => c.stack ?? `${c.name}: ${c.message}`, "[error]")
      : text(() => c, "?");
    s += `\nCaused by: ${part}`;
  }
  return s;
}
