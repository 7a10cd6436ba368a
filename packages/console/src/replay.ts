// Plays a recording (console-api Updates framed by @periscope/console-api) on its own clock:
// each Update's `now` says when it happened. Pause stops the playhead; seeking back rebuilds
// the state from the start because Updates are deltas.
import { readFileSync } from "node:fs";
import { decodeRecording, type Update } from "@periscope/console-api";
import { formatDuration } from "./duration.ts";

export class ReplayError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export interface Recording {
  updates: Update[];
  /** A damaged tail: whole Updates before it still play. */
  warning: string | undefined;
}

export function readRecording(path: string): Recording {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ReplayError(
      "PERISCOPE_REPLAY_READ",
      `cannot read ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`,
    );
  }
  const { updates, error, truncatedBytes } = decodeRecording(bytes);
  if (updates.length === 0) {
    if (error) throw new ReplayError(error.code, error.message.replace(/^[A-Z_]+: /, ""));
    throw new ReplayError(
      "PERISCOPE_REPLAY_EMPTY",
      "the recording holds no updates; record for at least one update interval",
    );
  }
  let warning: string | undefined;
  if (error) warning = `damaged after ${updates.length} updates`;
  else if (truncatedBytes > 0) warning = `last update cut short (${truncatedBytes} bytes)`;
  return { updates, warning };
}

function ms(u: Update): number | undefined {
  return u.now ? Number(u.now.seconds) * 1000 + u.now.nanos / 1e6 : undefined;
}

export class Replay {
  readonly updates: Update[];
  /** When each update happened, ms after the first. */
  readonly times: number[];
  readonly duration: number;
  position = 0;
  #next = 0;

  constructor(updates: Update[]) {
    this.updates = updates;
    const first = updates.map(ms).find((t) => t !== undefined) ?? 0;
    let last = 0;
    // An update without `now` happens with the one before it; time never runs backwards.
    this.times = updates.map((u) => {
      const t = ms(u);
      if (t !== undefined) last = Math.max(last, t - first);
      return last;
    });
    this.duration = last;
  }

  get ended(): boolean {
    return this.#next >= this.updates.length;
  }

  /** Updates due at the current position that have not been handed out yet. */
  #due(): Update[] {
    const out: Update[] = [];
    while (
      this.#next < this.updates.length &&
      (this.times[this.#next] as number) <= this.position
    ) {
      out.push(this.updates[this.#next] as Update);
      this.#next++;
    }
    return out;
  }

  /** Moves the playhead forward by `elapsedMs` and returns what became due. */
  advance(elapsedMs: number): Update[] {
    this.position = Math.min(this.duration, this.position + Math.max(0, elapsedMs));
    return this.#due();
  }

  /** Moves the playhead; `reset` means the caller must start from empty state first. */
  seek(deltaMs: number): { reset: boolean; updates: Update[] } {
    const target = Math.max(0, Math.min(this.duration, this.position + deltaMs));
    const reset = target < this.position;
    this.position = target;
    if (reset) this.#next = 0;
    return { reset, updates: this.#due() };
  }

  /** Ms until the next update is due, or undefined at the end. */
  untilNext(): number | undefined {
    if (this.ended) return undefined;
    return Math.max(0, (this.times[this.#next] as number) - this.position);
  }

  describe(paused: boolean): string {
    const f = (x: number) => formatDuration(x * 1e6, 0).text;
    const where = `${f(this.position)} / ${f(this.duration)}`;
    return `${where}${paused ? " (paused)" : this.ended ? " (end)" : ""}  [ ] seek`;
  }
}
