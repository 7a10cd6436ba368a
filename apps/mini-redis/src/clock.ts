// The server's notion of time, injectable so that tests can move time forward instead of sleeping.
// Only expiry depends on it; everything else in mini-redis is driven by the network.

export interface Clock {
  /** Milliseconds since the Unix epoch (Redis's EXAT/PXAT deadlines are wall-clock times). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
