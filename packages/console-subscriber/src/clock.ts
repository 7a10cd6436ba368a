// The time source: a monotonic millisecond clock plus the epoch it started at. Tests inject a
// manual clock; everything time-dependent (polls, retention, timestamps) reads only this.

export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Epoch milliseconds at which now() was 0, to turn monotonic times into wall-clock stamps. */
  readonly timeOrigin: number;
}

export const systemClock: Clock = {
  // Bound once: measurably cheaper per call than an arrow wrapper on the poll path.
  now: performance.now.bind(performance),
  timeOrigin: performance.timeOrigin,
};

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  readonly timeOrigin: number;
  #now: number;
  constructor(timeOrigin = 1_700_000_000_000, start = 0) {
    this.timeOrigin = timeOrigin;
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}
