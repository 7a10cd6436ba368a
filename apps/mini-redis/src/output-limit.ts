// Redis's `client-output-buffer-limit pubsub <hard> <soft> <soft-seconds>`: a subscriber whose
// unsent output passes the hard limit is cut at once; one that stays over the soft limit for
// longer than soft-seconds, continuously, is cut too. Also the parser of that setting's text.
import type { Clock } from "./clock.ts";

export interface OutputLimits {
  /** Unsent bytes at which a subscriber is cut at once; 0: no hard limit. */
  hard: number;
  /** Unsent bytes a subscriber may stay over for `softSeconds` only; 0: no soft limit. */
  soft: number;
  softSeconds: number;
}

/** Redis's defaults for the pubsub class: 32mb 8mb 60. */
export const DEFAULT_PUBSUB_LIMITS: OutputLimits = {
  hard: 32 * 1024 * 1024,
  soft: 8 * 1024 * 1024,
  softSeconds: 60,
};

/** Why a subscriber is cut. */
export type LimitReached = "hard" | "soft";

/**
 * One subscriber's standing against the limits: since when it has been over the soft limit.
 * Checked whenever a message is added to its output and once a second by the server (as
 * Redis's clientsCron does), so a subscriber that stopped receiving is still cut on time.
 */
export class OutputLimitState {
  /** Clock time at which the output went over the soft limit; -1 while it is under. */
  private overSince = -1;

  /** Returns the limit `pending` unsent bytes break, now, or undefined. */
  check(pending: number, limits: OutputLimits, clock: Clock): LimitReached | undefined {
    if (limits.hard > 0 && pending > limits.hard) return "hard";
    if (limits.soft === 0 || pending <= limits.soft) {
      // Back under: the soft limit counts continuous time over it, as in Redis.
      this.overSince = -1;
      return undefined;
    }
    const now = clock.now();
    if (this.overSince < 0) {
      this.overSince = now;
      return undefined;
    }
    return now - this.overSince > limits.softSeconds * 1000 ? "soft" : undefined;
  }
}

/** Redis's memory units: k/m/g are powers of 1000, kb/mb/gb of 1024; none is bytes. */
const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1024,
  m: 1e6,
  mb: 1024 ** 2,
  g: 1e9,
  gb: 1024 ** 3,
};

/** Parses `32mb`, `8388608`, `1gb` as Redis does; undefined for anything else. */
export function parseMemory(text: string): number | undefined {
  const m = /^([0-9]+)([a-z]*)$/i.exec(text);
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Parses the value of `--client-output-buffer-limit`: Redis's `<class> <hard> <soft> <seconds>`,
 * for the pubsub class (mini-redis has no replicas, and, like Redis by default, no limit on
 * normal clients). Returns the limits or the reason they are wrong.
 */
export function parseOutputLimits(text: string): OutputLimits | string {
  const words = text.trim().split(/\s+/);
  if (words.length !== 4) {
    return `expected "pubsub <hard> <soft> <soft-seconds>", e.g. "pubsub 32mb 8mb 60", got "${text}"`;
  }
  const [cls, hardText, softText, secondsText] = words as [string, string, string, string];
  if (cls.toLowerCase() !== "pubsub") {
    return `only the pubsub class can be set (mini-redis has no replicas, and no limit on normal clients), got "${cls}"`;
  }
  const hard = parseMemory(hardText);
  const soft = parseMemory(softText);
  const softSeconds = /^[0-9]+$/.test(secondsText) ? Number(secondsText) : undefined;
  if (hard === undefined || soft === undefined || softSeconds === undefined) {
    return `limits are sizes such as 32mb or 8388608 and seconds a whole number, got "${text}"`;
  }
  return { hard, soft, softSeconds };
}
