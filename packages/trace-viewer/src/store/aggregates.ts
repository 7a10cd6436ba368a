// What the store keeps at ingest so that System Architecture and Monitor never scan spans: per
// minute, calls and errors between services (a span whose parent is another service's span) and
// each operation's RED figures (calls, errors, a latency histogram). Written inside the ingest
// transaction, read by any connection (aggregate-query.ts), dropped with the spans' retention.
// Its own tables, created if missing, so the span schema's version does not change for them.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { IngestSpan } from "../model.ts";
import { addDuration, decodeHistogram, encodeHistogram, type Histogram } from "./red-histogram.ts";

export function applyAggregateSchema(db: DatabaseSync): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS dep_minutes (
      minute INTEGER NOT NULL, parent TEXT NOT NULL, child TEXT NOT NULL,
      calls INTEGER NOT NULL, errors INTEGER NOT NULL,
      PRIMARY KEY (minute, parent, child)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS red_minutes (
      service TEXT NOT NULL, kind INTEGER NOT NULL, minute INTEGER NOT NULL, operation TEXT NOT NULL,
      calls INTEGER NOT NULL, errors INTEGER NOT NULL, hist BLOB NOT NULL,
      PRIMARY KEY (service, kind, minute, operation)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS red_minutes_minute ON red_minutes (minute);`);
}

/** Spans remembered (by trace and span id) per generation, to find a child's parent service
 * without a query; two generations are kept, so 50,000 to 100,000 recent spans (about 10 MB). */
const RECENT_PER_GENERATION = 50_000;
/** Parents waited for at most; past it the oldest waits end first. */
const MAX_PENDING = 50_000;
/** How long a child waits for its parent (store clock, ms) before the store is asked once: the
 * parent may have come long before it (and left the recent spans). */
export const PENDING_WAIT_MS = 60_000;
/** Not stored either: the parent is still running (a long job); waited for this long in all. */
export const PENDING_GIVE_UP_MS = 30 * 60_000;
/** Stored-parent lookups per commit at most (the rest wait for the next commit). */
const LOOKUPS_PER_FLUSH = 2000;

interface Waiting {
  since: number;
  traceNo: number;
  parentId: Buffer;
  /** Children of this parent: minute, service, calls, errors. */
  children: Array<{ minute: number; service: string; calls: number; errors: number }>;
}

interface RedRow {
  service: string;
  operation: string;
  kind: number;
  minute: number;
  calls: number;
  errors: number;
  hist: Histogram;
}

const minuteOf = (us: number) => Math.floor(us / 60e6) * 60e3;
const spanKey = (traceNo: number, id: Buffer) => `${traceNo}/${id.toString("latin1")}`;

export class Aggregates {
  #clock: () => number;
  #st: Record<"dep" | "redGet" | "redPut" | "parent" | "oldest", StatementSync>;
  #pruneDeps: StatementSync;
  #pruneRed: StatementSync;
  // Recent spans' services: the current generation and the one before it.
  #recent = new Map<string, string>();
  #older = new Map<string, string>();
  /** Children waiting for their parent, by the parent's key, oldest wait first; `#stale` holds
   * those whose parent was not in the store either when asked. */
  #pending = new Map<string, Waiting>();
  #stale = new Map<string, Waiting>();
  // This transaction's spans and figures.
  #batch: Array<{ key: string; traceNo: number; service: string; span: IngestSpan }> = [];
  #red = new Map<string, RedRow[]>();
  #deps = new Map<
    string,
    { minute: number; parent: string; child: string; calls: number; errors: number }
  >();

  constructor(db: DatabaseSync, clock: () => number) {
    applyAggregateSchema(db);
    this.#clock = clock;
    this.#st = {
      dep: db.prepare(
        `INSERT INTO dep_minutes (minute, parent, child, calls, errors) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (minute, parent, child) DO UPDATE SET
           calls = calls + excluded.calls, errors = errors + excluded.errors`,
      ),
      redGet: db.prepare(
        "SELECT calls, errors, hist FROM red_minutes WHERE service = ? AND kind = ? AND minute = ? AND operation = ?",
      ),
      redPut: db.prepare(
        "INSERT OR REPLACE INTO red_minutes (service, kind, minute, operation, calls, errors, hist) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      parent: db.prepare(
        "SELECT s.name AS name FROM spans p JOIN services s ON s.id = p.service_id WHERE p.trace_no = ? AND p.span_id = ?",
      ),
      oldest: db.prepare("SELECT start_us AS s FROM spans ORDER BY id LIMIT 1"),
    };
    this.#pruneDeps = db.prepare("DELETE FROM dep_minutes WHERE minute < ?");
    this.#pruneRed = db.prepare("DELETE FROM red_minutes WHERE minute < ?");
  }

  /** Counts one span written in the open transaction (`flush` before it commits). */
  add(traceNo: number, service: string, s: IngestSpan): void {
    const minute = minuteOf(s.startUs);
    const ok = `${service}\u0000${s.body.name}`;
    let rows = this.#red.get(ok);
    if (!rows) {
      rows = [];
      this.#red.set(ok, rows);
    }
    let r: RedRow | undefined;
    for (const x of rows) if (x.minute === minute && x.kind === s.body.kind) r = x;
    if (!r) {
      r = {
        service,
        operation: s.body.name,
        kind: s.body.kind,
        minute,
        calls: 0,
        errors: 0,
        hist: new Map(),
      };
      rows.push(r);
    }
    r.calls++;
    if (s.error) r.errors++;
    addDuration(r.hist, s.durationUs);
    this.#batch.push({ key: spanKey(traceNo, s.spanId), traceNo, service, span: s });
  }

  #edge(minute: number, parent: string, child: string, calls: number, errors: number): void {
    if (parent === child) return;
    const k = `${minute}\u0000${parent}\u0000${child}`;
    const e = this.#deps.get(k);
    if (e) {
      e.calls += calls;
      e.errors += errors;
    } else this.#deps.set(k, { minute, parent, child, calls, errors });
  }

  #remember(key: string, service: string): void {
    if (this.#recent.size >= RECENT_PER_GENERATION) {
      this.#older = this.#recent;
      this.#recent = new Map();
    }
    this.#recent.set(key, service);
  }

  /** Resolves this transaction's parent links and writes its figures (before COMMIT). */
  flush(): void {
    const now = this.#clock();
    // Every span of the batch first: a child may come before its parent in the same batch.
    for (const b of this.#batch) {
      this.#remember(b.key, b.service);
      const w = this.#pending.get(b.key) ?? this.#stale.get(b.key);
      if (w) {
        this.#pending.delete(b.key);
        this.#stale.delete(b.key);
        for (const c of w.children) this.#edge(c.minute, b.service, c.service, c.calls, c.errors);
      }
    }
    for (const b of this.#batch) {
      const pid = b.span.parentSpanId;
      if (!pid) continue;
      const pk = spanKey(b.traceNo, pid);
      const parent = this.#recent.get(pk) ?? this.#older.get(pk);
      const minute = minuteOf(b.span.startUs);
      const err = b.span.error ? 1 : 0;
      if (parent !== undefined) {
        this.#edge(minute, parent, b.service, 1, err);
        continue;
      }
      // Usually the parent is still running: it ends, and is sent, after its children.
      let w = this.#pending.get(pk) ?? this.#stale.get(pk);
      if (!w) {
        w = { since: now, traceNo: b.traceNo, parentId: pid, children: [] };
        this.#pending.set(pk, w);
      }
      const c = w.children.find((x) => x.minute === minute && x.service === b.service);
      if (c) {
        c.calls++;
        c.errors += err;
      } else w.children.push({ minute, service: b.service, calls: 1, errors: err });
    }
    this.#batch = [];
    this.#expire(now);
    this.#write();
  }

  /**
   * Waits past PENDING_WAIT_MS ask the store once (a parent stored long before); those whose
   * parent is not there either wait on until PENDING_GIVE_UP_MS. Over MAX_PENDING, the oldest
   * waits end first.
   */
  #expire(now: number): void {
    while (this.#stale.size > 0) {
      const [k, w] = this.#stale.entries().next().value!;
      if (
        now - w.since < PENDING_GIVE_UP_MS &&
        this.#stale.size + this.#pending.size <= MAX_PENDING
      )
        break;
      this.#stale.delete(k);
    }
    let lookups = 0;
    for (const [k, w] of this.#pending) {
      const over = this.#stale.size + this.#pending.size > MAX_PENDING;
      if (!over && (now - w.since < PENDING_WAIT_MS || lookups >= LOOKUPS_PER_FLUSH)) break;
      this.#pending.delete(k);
      lookups++;
      const row = this.#st.parent.get(w.traceNo, w.parentId) as { name: string } | undefined;
      if (row) {
        for (const c of w.children) this.#edge(c.minute, row.name, c.service, c.calls, c.errors);
      } else if (!over) this.#stale.set(k, w);
    }
  }

  #write(): void {
    const st = this.#st;
    for (const e of this.#deps.values()) st.dep.run(e.minute, e.parent, e.child, e.calls, e.errors);
    this.#deps.clear();
    for (const rows of this.#red.values()) {
      for (const r of rows) {
        const old = st.redGet.get(r.service, r.kind, r.minute, r.operation) as
          | { calls: number; errors: number; hist: Uint8Array }
          | undefined;
        if (old) decodeHistogram(old.hist, r.hist);
        st.redPut.run(
          r.service,
          r.kind,
          r.minute,
          r.operation,
          r.calls + (old?.calls ?? 0),
          r.errors + (old?.errors ?? 0),
          encodeHistogram(r.hist),
        );
      }
    }
    this.#red.clear();
  }

  /** Forgets a transaction that was rolled back. */
  discard(): void {
    this.#batch = [];
    this.#deps.clear();
    this.#red.clear();
  }

  /** Drops the minutes that start before `cutoffMs` (age retention). */
  prune(cutoffMs: number): void {
    this.#pruneDeps.run(cutoffMs);
    this.#pruneRed.run(cutoffMs);
  }

  /** After a size trim: drops the minutes before the oldest stored span's, so the figures cover
   * what the stored spans cover and count against --max-size with them. */
  pruneToStoredSpans(): void {
    const row = this.#st.oldest.get() as { s: number } | undefined;
    if (row) this.prune(minuteOf(row.s));
  }

  /** Parents waited for (tests, the info endpoint). */
  get pendingParents(): number {
    return this.#pending.size + this.#stale.size;
  }
}
