// Global dispatch: one subscriber for the process, found through a Symbol.for key so that two
// copies of this package agree, plus scoped subscribers for tests (withSubscriber).
import { AsyncLocalStorage } from "node:async_hooks";
import { LevelFilter } from "./level.ts";
import type { Metadata } from "./metadata.ts";
import { Interest, NoSubscriber, type Subscriber } from "./subscriber.ts";

/** What a callsite exposes to the dispatcher so interest can be rebuilt. */
export interface Registered {
  readonly metadata: Metadata;
  interest: Interest;
}

/** The current span as the dispatcher sees it: an id and the subscriber that owns it. */
export interface CurrentSpan {
  readonly id: bigint | undefined;
  readonly subscriber: Subscriber | undefined;
}

interface State {
  readonly version: 1;
  global: Subscriber;
  /** Number of withSubscriber scopes alive; while > 0 every callsite asks enabled(). */
  scopedCount: number;
  readonly scoped: AsyncLocalStorage<Subscriber>;
  /** The current span, carried across await, timers, emitters and streams. */
  readonly current: AsyncLocalStorage<CurrentSpan>;
  readonly callsites: Registered[];
  /** The global max-level hint: events below it are off without looking further. */
  maxLevel: LevelFilter;
}

const KEY = Symbol.for("periscope.tracing.dispatch.v1");
const g = globalThis as unknown as Record<symbol, State | undefined>;
const existing = g[KEY];
export const state: State =
  existing ??
  (g[KEY] = {
    version: 1,
    global: new NoSubscriber(),
    scopedCount: 0,
    scoped: new AsyncLocalStorage<Subscriber>(),
    current: new AsyncLocalStorage<CurrentSpan>(),
    callsites: [],
    maxLevel: LevelFilter.OFF,
  });

/** The subscriber that should see what happens here (a scoped one, or the global one). */
export function currentSubscriber(): Subscriber {
  if (state.scopedCount === 0) return state.global;
  return state.scoped.getStore() ?? state.global;
}

function guardedRegister(sub: Subscriber, meta: Metadata): Interest {
  try {
    return sub.registerCallsite(meta);
  } catch {
    return Interest.NEVER;
  }
}

/** Re-asks every callsite's interest, e.g. after the subscriber or its filter changed. */
export function rebuildInterest(): void {
  if (state.scopedCount > 0) {
    // Several subscribers may be live; let each callsite ask the one in scope every time.
    for (const cs of state.callsites) cs.interest = Interest.SOMETIMES;
    state.maxLevel = LevelFilter.TRACE;
    return;
  }
  const sub = state.global;
  for (const cs of state.callsites) cs.interest = guardedRegister(sub, cs.metadata);
  let hint: LevelFilter | undefined;
  try {
    hint = sub.maxLevelHint();
  } catch {
    hint = undefined;
  }
  state.maxLevel = hint ?? LevelFilter.TRACE;
}

/**
 * Registers a callsite so its interest is kept up to date. A transient callsite (made for a
 * one-off name, see Logger) gets its interest now and is not kept, so it cannot leak.
 */
export function registerCallsite(cs: Registered, transient = false): void {
  if (!transient) state.callsites.push(cs);
  cs.interest =
    state.scopedCount > 0 ? Interest.SOMETIMES : guardedRegister(state.global, cs.metadata);
}

/** Installs the process-wide subscriber and returns the previous one. */
export function setGlobalDefault(sub: Subscriber): Subscriber {
  const prev = state.global;
  state.global = sub;
  rebuildInterest();
  return prev;
}

export function globalDefault(): Subscriber {
  return state.global;
}

/**
 * Runs fn with `sub` as the subscriber for everything fn does, synchronously or asynchronously
 * (as tracing's `with_default`). Meant for tests; while any scope is alive, callsites skip their
 * cached interest and ask the subscriber in scope.
 */
export function withSubscriber<T>(sub: Subscriber, fn: () => T): T {
  state.scopedCount++;
  if (state.scopedCount === 1) rebuildInterest();
  let result: T;
  try {
    // A fresh current-span context: spans of an outer subscriber are not parents here.
    result = state.scoped.run(sub, () => state.current.run(NO_SPAN, fn));
  } catch (e) {
    leaveScope();
    throw e;
  }
  if (result instanceof Promise) {
    result.then(leaveScope, leaveScope);
  } else {
    leaveScope();
  }
  return result;
}

const NO_SPAN: CurrentSpan = { id: undefined, subscriber: undefined };

function leaveScope(): void {
  state.scopedCount--;
  if (state.scopedCount === 0) rebuildInterest();
}
