// The time source for timers: the real one by default, or a ManualClock that tests advance by
// hand (tokio's time::pause/advance), so time-dependent code is tested without sleeping.

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls fn after ms; `ref: false` lets the process exit while it is pending. */
  setTimer(fn: () => void, ms: number, ref: boolean): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms, ref) {
    const t = setTimeout(fn, ms);
    if (!ref) t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when advance() is called; timers fire in deadline order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, Pending>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const seq = this.#seq++;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order; awaits between them so callbacks settle. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.#timers.values()) {
        if (
          p.at <= end &&
          (next === undefined || p.at < next.at || (p.at === next.at && p.seq < next.seq))
        )
          next = p;
      }
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      this.#now = next.at;
      next.fn();
      await new Promise<void>((r) => setImmediate(r));
    }
    this.#now = end;
  }
}
