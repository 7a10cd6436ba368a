// The live source: one WatchUpdates stream with reconnection and a visible status, an optional
// WatchTaskDetails stream for the open task, and Pause/Resume. Servers that leave out details,
// pause or histograms (older or other implementations) only lose those parts.
import {
  createInstrumentClient,
  type InstrumentClient,
  type TaskDetails,
  type Update,
} from "@periscope/console-api";
import { describeConnectionError } from "./conn-error.ts";

export interface ConnectionEvents {
  /** `fresh` is true for the first update of each (re)connection: a full snapshot follows. */
  update(u: Update, fresh: boolean): void;
  details(d: TaskDetails): void;
  status(state: "connecting" | "connected" | "disconnected", detail: string): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export const RETRY_MIN_MS = 250;
export const RETRY_MAX_MS = 5000;

interface Cancellable {
  cancel(): void;
  on(event: string, fn: (...args: never[]) => void): unknown;
}

export class Connection {
  readonly address: string;
  #client: InstrumentClient;
  #events: ConnectionEvents;
  #timers: Timers;
  #updates: Cancellable | undefined;
  #details: Cancellable | undefined;
  #detailsFor: bigint | undefined;
  #retryMs = RETRY_MIN_MS;
  #retryTimer: unknown;
  #generation = 0;
  #closed = false;

  /** Throws (with a PERISCOPE_CONSOLE_ADDRESS code in the message) for an unusable address. */
  constructor(address: string, events: ConnectionEvents, timers: Timers = realTimers) {
    this.address = address;
    this.#client = createInstrumentClient(address);
    this.#events = events;
    this.#timers = timers;
  }

  start(): void {
    this.#connect();
  }

  #connect(): void {
    if (this.#closed) return;
    const gen = ++this.#generation;
    this.#events.status("connecting", "");
    let fresh = true;
    const call = this.#client.watchUpdates({});
    this.#updates = call;
    call.on("data", (u: Update) => {
      if (gen !== this.#generation) return;
      if (fresh) {
        this.#retryMs = RETRY_MIN_MS;
        this.#events.status("connected", "");
        // A details stream does not survive its server: ask the new one.
        if (this.#detailsFor !== undefined) this.watchDetails(this.#detailsFor);
      }
      this.#events.update(u, fresh);
      fresh = false;
    });
    const lost = (why: string) => {
      if (gen !== this.#generation || this.#closed) return;
      this.#generation++;
      const wait = this.#retryMs;
      this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
      this.#events.status("disconnected", `${why}; retrying in ${(wait / 1000).toFixed(1)}s`);
      this.#retryTimer = this.#timers.setTimeout(() => this.#connect(), wait);
    };
    call.on("error", (e: Error & { code?: number; details?: string }) =>
      lost(describeConnectionError(e)),
    );
    call.on("end", () => lost("the server closed the stream"));
  }

  watchDetails(spanId: bigint): void {
    this.unwatchDetails();
    this.#detailsFor = spanId;
    if (this.#closed) return;
    const call = this.#client.watchTaskDetails({ id: { id: spanId } });
    this.#details = call;
    call.on("data", (d: TaskDetails) => {
      if (this.#details === call) this.#events.details(d);
    });
    // A server without task details, or a task that ended: the view says "waiting".
    call.on("error", () => {});
  }

  unwatchDetails(): void {
    this.#detailsFor = undefined;
    const d = this.#details;
    this.#details = undefined;
    d?.cancel();
  }

  /** Asks the server to hold updates; a server that cannot is left running (we buffer). */
  pause(): void {
    if (!this.#closed) this.#client.pause({}, () => {});
  }

  resume(): void {
    if (!this.#closed) this.#client.resume({}, () => {});
  }

  close(): void {
    this.#closed = true;
    this.#generation++;
    if (this.#retryTimer !== undefined) this.#timers.clearTimeout(this.#retryTimer);
    this.unwatchDetails();
    this.#updates?.cancel();
    this.#client.close();
  }
}
