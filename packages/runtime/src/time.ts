// Timers as tokio::time: sleep, timeout and interval, each a `runtime.resource` of kind "timer"
// with its async op and a `duration` state in ms, cancellable by AbortSignal (or the task's).
import { type Clock, realClock } from "./clock.ts";
import { abortReason, invalidArgument, RuntimeError } from "./errors.ts";
import { wake } from "./poll-emit.ts";
import { Resource } from "./resource.ts";
import { currentTask, outsideTask } from "./task-state.ts";
import { armCancel, Waiter } from "./waitqueue.ts";

export interface TimerOptions {
  signal?: AbortSignal;
  /** false lets the process exit while the timer is pending (default true, like setTimeout). */
  ref?: boolean;
  clock?: Clock;
}

function checkMs(ms: number, what: string): void {
  if (typeof ms !== "number" || !(ms >= 0) || ms > 2 ** 31 - 1)
    throw invalidArgument(
      `${what} must be a number of milliseconds in 0..2147483647, got ${String(ms)}`,
    );
}

/** Waits `ms` milliseconds. Rejects with the abort reason if the signal (or the task) is aborted. */
export async function sleep(ms: number, opts?: TimerOptions): Promise<void> {
  checkMs(ms, "sleep duration");
  const res = new Resource({
    target: "tokio::time::sleep",
    concreteType: "Sleep",
    kind: "timer",
    caller: sleep,
  });
  const op = res.op("Sleep::new_timeout");
  res.update("duration", Math.round(ms), "override", "ms");
  try {
    await wait(ms, opts, () => op.poll("poll_elapsed", false));
    op.poll("poll_elapsed", true);
  } finally {
    op.close();
    res.close();
  }
}

function wait(ms: number, opts: TimerOptions | undefined, pending: () => void): Promise<void> {
  const clock = opts?.clock ?? realClock;
  const w = new Waiter<void>(0);
  let handle: unknown;
  armCancel(w, opts?.signal, () => {
    if (handle !== undefined) clock.clearTimer(handle);
  });
  if (!w.settled) {
    handle = outsideTask(() => clock.setTimer(() => w.fulfil(), ms, opts?.ref ?? true));
    pending();
  }
  return w.promise;
}

/** Yields to the event loop once (tokio's yield_now): the task wakes itself and is polled again. */
export function yieldNow(): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      // Woken from inside its own slice: the console counts a self-wake, as for tokio's yield_now.
      const t = currentTask();
      if (t !== undefined && !t.done && t.spanId !== undefined) wake(t);
      resolve();
    }),
  );
}

export class TimeoutError extends RuntimeError {
  readonly ms: number;
  constructor(ms: number) {
    super(
      "PERISCOPE_TIMEOUT",
      `the operation did not finish within ${ms} ms; raise the limit or find what blocks it`,
    );
    this.name = "TimeoutError";
    this.ms = ms;
  }
}

/**
 * Resolves with what `work` resolves to, or rejects with a TimeoutError after `ms`. When `work` is
 * a function it gets an AbortSignal that fires on timeout, so the work stops too.
 */
export async function timeout<T>(
  ms: number,
  work: PromiseLike<T> | ((signal: AbortSignal) => PromiseLike<T> | T),
  opts?: TimerOptions,
): Promise<T> {
  checkMs(ms, "timeout");
  const res = new Resource({
    target: "tokio::time::timeout",
    concreteType: "Timeout",
    kind: "timer",
    caller: timeout,
  });
  const op = res.op("Timeout::new");
  res.update("duration", Math.round(ms), "override", "ms");
  const ctl = typeof work === "function" ? new AbortController() : undefined;
  const clock = opts?.clock ?? realClock;
  let handle: unknown;
  let unlisten: (() => void) | undefined;
  try {
    const timer = new Promise<never>((_, reject) => {
      const fire = (): void => {
        const e = new TimeoutError(ms);
        ctl?.abort(e);
        reject(e);
      };
      handle = outsideTask(() => clock.setTimer(fire, ms, opts?.ref ?? true));
    });
    const signal = opts?.signal ?? currentTask()?.signal;
    const aborted =
      signal === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            if (signal.aborted) return reject(abortReason(signal));
            const onAbort = (): void => reject(abortReason(signal));
            signal.addEventListener("abort", onAbort, { once: true });
            unlisten = () => signal.removeEventListener("abort", onAbort);
          });
    let p: PromiseLike<T>;
    if (typeof work === "function") {
      try {
        p = Promise.resolve(work((ctl as AbortController).signal));
      } catch (e) {
        p = Promise.reject(e);
      }
    } else p = work;
    op.poll("poll", false);
    const racers: PromiseLike<T>[] = [p, timer];
    if (aborted !== undefined) racers.push(aborted);
    const v = await Promise.race(racers);
    op.poll("poll", true);
    return v;
  } finally {
    unlisten?.();
    clock.clearTimer(handle);
    op.close();
    res.close();
  }
}

export type MissedTickBehavior = "burst" | "delay" | "skip";

export interface IntervalOptions extends TimerOptions {
  /** What to do when ticks were missed (tokio's MissedTickBehavior; default "burst"). */
  missedTickBehavior?: MissedTickBehavior;
}

/** Ticks every `period` ms; the first tick completes at once, as tokio::time::interval. */
export class Interval implements Disposable {
  readonly period: number;
  readonly #opts: IntervalOptions;
  readonly #clock: Clock;
  #next: number;
  #closed = false;
  readonly #res: Resource;

  constructor(period: number, opts: IntervalOptions = {}) {
    checkMs(period, "interval period");
    if (period === 0) throw invalidArgument("interval period must be greater than 0 ms");
    this.period = period;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#next = this.#clock.now();
    this.#res = new Resource(
      {
        target: "tokio::time::interval",
        concreteType: "Interval",
        kind: "timer",
        caller: viaFactory ? interval : Interval,
      },
      this,
    );
    this.#res.update("duration", Math.round(period), "override", "ms");
  }

  /** Waits for the next tick; resolves with its scheduled time on the clock's scale. */
  async tick(opts?: { signal?: AbortSignal }): Promise<number> {
    if (this.#closed) throw invalidArgument("tick() on a closed Interval; create a new one");
    const op = this.#res.op("Interval::tick");
    try {
      const due = this.#next;
      const now = this.#clock.now();
      if (due > now) {
        await wait(due - now, { ...this.#opts, signal: opts?.signal ?? this.#opts.signal }, () =>
          op.poll("poll_tick", false),
        );
      }
      op.poll("poll_tick", true);
      const after = this.#clock.now();
      switch (this.#opts.missedTickBehavior ?? "burst") {
        case "burst":
          this.#next = due + this.period;
          break;
        case "delay":
          this.#next = after + this.period;
          break;
        case "skip":
          this.#next = due + this.period * Math.max(1, Math.ceil((after - due) / this.period));
          break;
      }
      return due;
    } finally {
      op.close();
    }
  }

  /** The next tick comes one period from now. */
  reset(): void {
    this.#next = this.#clock.now() + this.period;
  }

  close(): void {
    this.#closed = true;
    this.#res.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

let viaFactory = false;

export function interval(period: number, opts?: IntervalOptions): Interval {
  viaFactory = true;
  try {
    return new Interval(period, opts);
  } finally {
    viaFactory = false;
  }
}
