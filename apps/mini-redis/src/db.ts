// The key/value store shared by every connection, with key expiry.
// Expiry works in two ways, like Redis: a read never returns a key past its deadline (checked on
// every access), and a background purge removes expired keys nobody reads, so memory stays
// bounded.
import type { Clock } from "./clock.ts";
import { DeadlineHeap } from "./heap.ts";
import { debugEvent, T_DB } from "./trace.ts";

/** A stored value. */
interface Entry {
  value: Buffer;
  /** Deadline in clock milliseconds; 0 means the key does not expire. */
  expiresAt: number;
}

/** How many keys one purge pass may remove before yielding to the event loop. */
const PURGE_BATCH = 10_000;

/**
 * Server state shared across all connections.
 *
 * In tokio's mini-redis this sits behind a `std::sync::Mutex`, because tasks run on several
 * threads. A Node program runs JavaScript on one thread, and every method here is synchronous:
 * no `await` happens while the state is being changed, so no other connection can observe it
 * half-updated. That is the "lock": keep critical sections free of `await`. (When mini-redis runs
 * on @periscope/runtime, this is where an instrumented Mutex would make the lock visible in the
 * console; it would never be contended, which is the point the console would show.)
 */
export class Db {
  private readonly entries = new Map<string, Entry>();
  /** Deadlines of expiring keys, soonest first; may hold stale records (checked on pop). */
  private readonly deadlines = new DeadlineHeap();
  /** Number of entries that have a deadline; bounds how stale `deadlines` may get. */
  private expiring = 0;
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;
  /** Deadline the purge timer is armed for (0: not armed). */
  private timerAt = 0;
  private closed = false;

  /**
   * The longest key ever stored (it never shrinks). A longer key cannot exist, so a lookup need
   * not make a string of it: a GET or DEL of a 512 MB key costs no 512 MB string.
   */
  longestKey = 0;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Number of keys, including expired ones the purge has not removed yet (like DBSIZE). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the value of `key`, or undefined. A key past its deadline is removed here and
   * reported missing, even if the background purge has not run yet.
   */
  get(key: string): Buffer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && this.clock.now() > entry.expiresAt) {
      this.remove(key, entry);
      return undefined;
    }
    return entry.value;
  }

  /** Milliseconds left before `key` expires; -1 if it has no deadline, -2 if it does not exist. */
  ttl(key: string): number {
    const entry = this.entries.get(key);
    if (entry === undefined || this.get(key) === undefined) return -2;
    return entry.expiresAt === 0 ? -1 : entry.expiresAt - this.clock.now();
  }

  /** The deadline of an existing key (0: none), for SET's KEEPTTL. */
  deadline(key: string): number {
    return this.get(key) === undefined ? 0 : (this.entries.get(key)?.expiresAt ?? 0);
  }

  /**
   * Stores `value` under `key`, replacing any previous value and deadline. `expiresAt` is an
   * absolute clock time in milliseconds, or 0 for a key that never expires.
   */
  set(key: string, value: Buffer, expiresAt = 0): void {
    if (key.length > this.longestKey) this.longestKey = key.length;
    const prev = this.entries.get(key);
    if (prev !== undefined) {
      // Reuse the entry object: the common overwrite allocates nothing but the value.
      if (prev.expiresAt !== 0) this.expiring--;
      prev.value = value;
      prev.expiresAt = expiresAt;
    } else {
      this.entries.set(key, { value, expiresAt });
    }
    if (expiresAt !== 0) {
      this.expiring++;
      // The old deadline record, if any, stays in the heap; it is recognised as stale when it
      // surfaces because it no longer matches the entry. Rebuild when stale records dominate.
      this.deadlines.push(expiresAt, key);
      if (this.deadlines.size > 2 * this.expiring + 1024) this.compactDeadlines();
      // Only wake the purge task if this key now expires first, as tokio's mini-redis does.
      if (this.timerAt === 0 || expiresAt < this.timerAt) this.armPurge(expiresAt);
    }
  }

  /** Removes `key`; returns whether it existed (and was not already expired). */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    const live = this.get(key) !== undefined;
    if (live) this.remove(key, entry);
    return live;
  }

  /** Removes every key. */
  clear(): void {
    this.entries.clear();
    this.deadlines.clear();
    this.expiring = 0;
  }

  /**
   * Removes keys whose deadline has passed, at most `limit` of them, and returns how many.
   * Called by the purge timer; tests call it directly after moving the clock.
   */
  purgeExpired(limit = Number.POSITIVE_INFINITY): number {
    const now = this.clock.now();
    let removed = 0;
    while (removed < limit) {
      const top = this.deadlines.peek();
      if (top === undefined || top.when >= now) break;
      this.deadlines.pop();
      const entry = this.entries.get(top.key);
      // Stale record: the key was deleted, or set again with another deadline.
      if (entry === undefined || entry.expiresAt !== top.when) continue;
      this.remove(top.key, entry);
      removed++;
    }
    return removed;
  }

  /** Stops the purge timer; the Db is no longer used. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    debugEvent(T_DB, "purge background task shut down");
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (entry.expiresAt !== 0) this.expiring--;
  }

  /**
   * Arms the purge timer for `when`. The timer is unref'd: a pending expiry must never keep the
   * process alive. Its delay is computed from the injected clock, and the purge itself re-reads
   * the clock, so a test clock that has not moved simply re-arms it.
   */
  private armPurge(when: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = when;
    const delay = Math.min(Math.max(when - this.clock.now() + 1, 1), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.onPurgeTimer(), delay);
    this.timer.unref();
  }

  private onPurgeTimer(): void {
    this.timer = undefined;
    this.timerAt = 0;
    const removed = this.purgeExpired(PURGE_BATCH);
    if (removed > 0) debugEvent(T_DB, "purged expired keys", { removed });
    const next = this.deadlines.peek();
    if (next === undefined) return;
    // More than one batch due: continue soon, but let connections run in between.
    if (removed === PURGE_BATCH) this.armPurge(this.clock.now());
    else this.armPurge(next.when);
  }

  private compactDeadlines(): void {
    this.deadlines.clear();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== 0) this.deadlines.push(entry.expiresAt, key);
    }
  }
}
