// What the viewer keeps at ingest so that System Architecture and Monitor never scan spans: per
// minute, calls and errors between services (a span whose parent is another service's span) and
// each operation's RED figures (calls, errors, a latency histogram). Written in the ingest
// transaction, read by any connection, dropped with the retention age.
import type { DatabaseSync, StatementSync } from "node:sqlite";
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

export interface AggregateSpan {
  traceNo: number;
  spanId: Uint8Array;
  parentSpanId: Uint8Array | null;
  service: string;
  operation: string;
  kind: number;
  startUs: number;
  durationUs: number;
  error: boolean;
}

/** Children whose parent has not arrived yet, per trace and parent id: by child service and minute. */
type Pending = Map<string, { calls: number; errors: number }>;

/** A child's parent usually arrives after it (children end first): waiting entries, at most. */
const MAX_PENDING_TRACES = 50_000;
/** Waiting children older than this (by their start) are given up on. */
const PENDING_MAX_AGE_US = 15 * 60e6;

const minuteOf = (us: number) => Math.floor(us / 60e6) * 60e3;
const idKey = (id: Uint8Array) =>
  Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("latin1");

export class Aggregates {
  #db: DatabaseSync;
  #parentService: (traceNo: number, parentId: Uint8Array) => string | undefined;
  #pending = new Map<number, { newestUs: number; byParent: Map<string, Pending> }>();
  #deps = new Map<string, { calls: number; errors: number }>();
  #red = new Map<string, { calls: number; errors: number; hist: Histogram }>();
  #st: Record<"dep" | "redGet" | "redPut" | "pruneDeps" | "pruneRed", StatementSync>;

  /**
   * `parentService` finds a stored span's service (the store looks it up by trace number and
   * span id, an indexed read; this batch's spans are already inserted when `flush` runs).
   */
  constructor(
    db: DatabaseSync,
    parentService: (traceNo: number, parentId: Uint8Array) => string | undefined,
  ) {
    this.#db = db;
    this.#parentService = parentService;
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
      pruneDeps: db.prepare("DELETE FROM dep_minutes WHERE minute < ?"),
      pruneRed: db.prepare("DELETE FROM red_minutes WHERE minute < ?"),
    };
  }

  #batch: AggregateSpan[] = [];

  /** Counts one stored span (call `flush` before the transaction commits). */
  add(s: AggregateSpan): void {
    const minute = minuteOf(s.startUs);
    const rk = `${s.service}\u0000${s.kind}\u0000${minute}\u0000${s.operation}`;
    let r = this.#red.get(rk);
    if (!r) {
      r = { calls: 0, errors: 0, hist: new Map() };
      this.#red.set(rk, r);
    }
    r.calls++;
    if (s.error) r.errors++;
    addDuration(r.hist, s.durationUs);
    this.#batch.push(s);
  }

  #edge(minute: number, parent: string, child: string, calls: number, errors: number): void {
    if (parent === child) return;
    const k = `${minute}\u0000${parent}\u0000${child}`;
    const e = this.#deps.get(k);
    if (e) {
      e.calls += calls;
      e.errors += errors;
    } else this.#deps.set(k, { calls, errors });
  }

  /** Resolves this batch's parent links and writes the batch's figures (inside its transaction). */
  flush(): void {
    for (const s of this.#batch) {
      // Children that arrived before this span: now their caller is known.
      const waiting = this.#pending.get(s.traceNo)?.byParent;
      const mine = waiting?.get(idKey(s.spanId));
      if (mine) {
        for (const [k, c] of mine) {
          const [minute, child] = k.split("\u0000") as [string, string];
          this.#edge(Number(minute), s.service, child, c.calls, c.errors);
        }
        waiting!.delete(idKey(s.spanId));
        if (waiting!.size === 0) this.#pending.delete(s.traceNo);
      }
    }
    for (const s of this.#batch) {
      if (!s.parentSpanId || s.parentSpanId.length === 0) continue;
      const parent = this.#parentService(s.traceNo, s.parentSpanId);
      const minute = minuteOf(s.startUs);
      if (parent !== undefined) {
        this.#edge(minute, parent, s.service, 1, s.error ? 1 : 0);
        continue;
      }
      let t = this.#pending.get(s.traceNo);
      if (!t) {
        if (this.#pending.size >= MAX_PENDING_TRACES) this.#dropOldest(s.startUs);
        t = { newestUs: s.startUs, byParent: new Map() };
        this.#pending.set(s.traceNo, t);
      }
      t.newestUs = Math.max(t.newestUs, s.startUs);
      const pk = idKey(s.parentSpanId);
      let p = t.byParent.get(pk);
      if (!p) {
        p = new Map();
        t.byParent.set(pk, p);
      }
      const ck = `${minute}\u0000${s.service}`;
      const c = p.get(ck);
      if (c) {
        c.calls++;
        if (s.error) c.errors++;
      } else p.set(ck, { calls: 1, errors: s.error ? 1 : 0 });
    }
    this.#batch = [];
    const st = this.#st;
    for (const [k, e] of this.#deps) {
      const [minute, parent, child] = k.split("\u0000") as [string, string, string];
      st.dep.run(Number(minute), parent, child, e.calls, e.errors);
    }
    this.#deps.clear();
    for (const [k, r] of this.#red) {
      const [service, kind, minute, operation] = k.split("\u0000") as [
        string,
        string,
        string,
        string,
      ];
      const old = st.redGet.get(service, Number(kind), Number(minute), operation) as
        | { calls: number; errors: number; hist: Uint8Array }
        | undefined;
      if (old) decodeHistogram(old.hist, r.hist);
      st.redPut.run(
        service,
        Number(kind),
        Number(minute),
        operation,
        r.calls + (old?.calls ?? 0),
        r.errors + (old?.errors ?? 0),
        encodeHistogram(r.hist),
      );
    }
    this.#red.clear();
  }

  /** Forgets a batch that was rolled back. */
  discard(): void {
    this.#batch = [];
    this.#deps.clear();
    this.#red.clear();
  }

  #dropOldest(nowUs: number): void {
    for (const [no, t] of this.#pending) {
      if (t.newestUs < nowUs - PENDING_MAX_AGE_US || this.#pending.size >= MAX_PENDING_TRACES)
        this.#pending.delete(no);
      if (this.#pending.size < MAX_PENDING_TRACES * 0.9) return;
    }
  }

  /** Drops the minutes before `cutoffMs` (the retention age). */
  prune(cutoffMs: number): void {
    this.#st.pruneDeps.run(cutoffMs);
    this.#st.pruneRed.run(cutoffMs);
  }

  /** Children still waiting for their parent (tests, and the info endpoint). */
  get pendingTraces(): number {
    return this.#pending.size;
  }
}
