// What the store keeps at ingest so that System Architecture and Monitor never scan spans: per
// minute, calls and errors between services (a span whose parent is another service's span) and
// each operation's RED figures (calls, errors, a latency histogram). Written inside the ingest
// transaction, read by any connection (query/metrics-api.ts), dropped with the spans' retention.
// Its own tables, created if missing, so the span schema's version does not change for them.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { IngestSpan } from "../model.ts";
import { COL_BYTES } from "./chunk.ts";
import { RecentSpans, SLOTS } from "./recent-spans.ts";
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
  slot: number;
  since: number;
  traceNo: number;
  parentId: Buffer;
  /** Children of this parent: minute, service, calls, errors. */
  children: Array<{ minute: number; service: string; calls: number; errors: number }>;
}

interface RedRow {
  kind: number;
  minute: number;
  calls: number;
  errors: number;
  hist: Histogram;
}

interface Edge {
  minute: number;
  calls: number;
  errors: number;
}

const minuteOf = (us: number) => Math.floor(us / 60e6) * 60e3;
const spanKey = (traceNo: number, id: Buffer) => `${traceNo}/${id.toString("latin1")}`;

/** Map<a, Map<b, V>>'s inner map, made when missing (no key string is built per span). */
function inner<V>(m: Map<string, Map<string, V>>, a: string): Map<string, V> {
  let x = m.get(a);
  if (!x) {
    x = new Map();
    m.set(a, x);
  }
  return x;
}

export class Aggregates {
  #clock: () => number;
  #st: Record<
    "dep" | "redGet" | "redPut" | "parent" | "oldest" | "pruneDep" | "pruneRed",
    StatementSync
  >;
  #recent = new RecentSpans();
  /** Children waiting for their parent, by the parent's key, oldest wait first; `#stale` holds
   * those whose parent was not in the store either when asked. */
  #pending = new Map<string, Waiting>();
  #stale = new Map<string, Waiting>();
  /** Waits per slot of the recent spans' hash: an arriving span whose slot has none is waited
   * for by no child, so no key string is made for it. */
  #waitsAt = new Uint16Array(SLOTS);
  // This transaction's spans (three parallel lists, no object per span) and figures.
  #spans: IngestSpan[] = [];
  #traceNos: number[] = [];
  #services: string[] = [];
  /** service -> operation -> rows, one per span kind and minute */
  #red = new Map<string, Map<string, RedRow[]>>();
  /** parent service -> child service -> calls per minute */
  #deps = new Map<string, Map<string, Edge[]>>();

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
        "SELECT s.name AS name, c.cols AS cols FROM chunks c JOIN services s ON s.id = c.service_id WHERE c.trace_no = ?",
      ),
      oldest: db.prepare("SELECT start_min AS s FROM chunks ORDER BY id LIMIT 1"),
      pruneDep: db.prepare("DELETE FROM dep_minutes WHERE minute < ?"),
      pruneRed: db.prepare("DELETE FROM red_minutes WHERE minute < ?"),
    };
  }

  /** Counts one span written in the open transaction (`flush` before it commits). */
  add(traceNo: number, service: string, s: IngestSpan): void {
    const minute = minuteOf(s.startUs);
    const ops = inner(this.#red, service);
    let rows = ops.get(s.body.name);
    if (!rows) {
      rows = [];
      ops.set(s.body.name, rows);
    }
    let r: RedRow | undefined;
    for (const x of rows) if (x.minute === minute && x.kind === s.body.kind) r = x;
    if (!r) {
      r = { kind: s.body.kind, minute, calls: 0, errors: 0, hist: new Map() };
      rows.push(r);
    }
    r.calls++;
    if (s.error) r.errors++;
    addDuration(r.hist, s.durationUs);
    this.#spans.push(s);
    this.#traceNos.push(traceNo);
    this.#services.push(service);
  }

  #edge(minute: number, parent: string, child: string, calls: number, errors: number): void {
    if (parent === child) return;
    const children = inner(this.#deps, parent);
    let list = children.get(child);
    if (!list) {
      list = [];
      children.set(child, list);
    }
    for (const e of list) {
      if (e.minute === minute) {
        e.calls += calls;
        e.errors += errors;
        return;
      }
    }
    list.push({ minute, calls, errors });
  }

  #unwait(w: Waiting): void {
    if (this.#waitsAt[w.slot]! > 0) this.#waitsAt[w.slot]!--;
  }

  /** Resolves this transaction's parent links and writes its figures (before COMMIT). */
  flush(): void {
    const now = this.#clock();
    const spans = this.#spans;
    const traceNos = this.#traceNos;
    const services = this.#services;
    // Every span of the batch first: a child may come before its parent in the same batch.
    for (let i = 0; i < spans.length; i++) {
      const id = spans[i]!.spanId;
      const slot = this.#recent.key(traceNos[i]!, id);
      this.#recent.set(services[i]!);
      if (this.#waitsAt[slot] === 0) continue;
      const key = spanKey(traceNos[i]!, id);
      const w = this.#pending.get(key) ?? this.#stale.get(key);
      if (!w) continue;
      this.#pending.delete(key);
      this.#stale.delete(key);
      this.#unwait(w);
      for (const c of w.children) this.#edge(c.minute, services[i]!, c.service, c.calls, c.errors);
    }
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      const pid = s.parentSpanId;
      if (!pid) continue;
      const minute = minuteOf(s.startUs);
      const err = s.error ? 1 : 0;
      const slot = this.#recent.key(traceNos[i]!, pid);
      const parent = this.#recent.get();
      if (parent !== undefined) {
        this.#edge(minute, parent, services[i]!, 1, err);
        continue;
      }
      // Usually the parent is still running: it ends, and is sent, after its children.
      const key = spanKey(traceNos[i]!, pid);
      let w = this.#pending.get(key) ?? this.#stale.get(key);
      if (!w) {
        w = { slot, since: now, traceNo: traceNos[i]!, parentId: pid, children: [] };
        this.#pending.set(key, w);
        if (this.#waitsAt[slot]! < 0xffff) this.#waitsAt[slot]!++;
      }
      const c = w.children.find((x) => x.minute === minute && x.service === services[i]);
      if (c) {
        c.calls++;
        c.errors += err;
      } else w.children.push({ minute, service: services[i]!, calls: 1, errors: err });
    }
    this.#clearBatch();
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
      const full = this.#stale.size + this.#pending.size > MAX_PENDING;
      if (!full && now - w.since < PENDING_GIVE_UP_MS) break;
      this.#stale.delete(k);
      this.#unwait(w);
    }
    let lookups = 0;
    for (const [k, w] of this.#pending) {
      const over = this.#stale.size + this.#pending.size > MAX_PENDING;
      if (!over && (now - w.since < PENDING_WAIT_MS || lookups >= LOOKUPS_PER_FLUSH)) break;
      this.#pending.delete(k);
      lookups++;
      const row = this.#storedParent(w.traceNo, w.parentId);
      if (row) {
        this.#unwait(w);
        for (const c of w.children) this.#edge(c.minute, row.name, c.service, c.calls, c.errors);
      } else if (!over) this.#stale.set(k, w);
      else this.#unwait(w);
    }
  }

  /** The service of a stored span, found in its trace's chunk columns. */
  #storedParent(traceNo: number, spanId: Uint8Array): { name: string } | undefined {
    for (const r of this.#st.parent.iterate(traceNo) as Iterable<{
      name: string;
      cols: Uint8Array;
    }>) {
      const cols = Buffer.from(r.cols.buffer, r.cols.byteOffset, r.cols.byteLength);
      for (let at = cols.indexOf(spanId); at >= 0; at = cols.indexOf(spanId, at + 1)) {
        if (at % COL_BYTES === 0) return { name: r.name };
      }
    }
    return undefined;
  }

  #write(): void {
    const st = this.#st;
    for (const [parent, children] of this.#deps) {
      for (const [child, list] of children) {
        for (const e of list) st.dep.run(e.minute, parent, child, e.calls, e.errors);
      }
    }
    this.#deps.clear();
    for (const [service, ops] of this.#red) {
      for (const [operation, rows] of ops) {
        for (const r of rows) {
          const old = st.redGet.get(service, r.kind, r.minute, operation) as
            | { calls: number; errors: number; hist: Uint8Array }
            | undefined;
          if (old) decodeHistogram(old.hist, r.hist);
          st.redPut.run(
            service,
            r.kind,
            r.minute,
            operation,
            r.calls + (old?.calls ?? 0),
            r.errors + (old?.errors ?? 0),
            encodeHistogram(r.hist),
          );
        }
      }
    }
    this.#red.clear();
  }

  #clearBatch(): void {
    this.#spans = [];
    this.#traceNos = [];
    this.#services = [];
  }

  /** Forgets a transaction that was rolled back. */
  discard(): void {
    this.#clearBatch();
    this.#deps.clear();
    this.#red.clear();
  }

  /** Drops the minutes that start before `cutoffMs` (age retention). */
  prune(cutoffMs: number): void {
    this.#st.pruneDep.run(cutoffMs);
    this.#st.pruneRed.run(cutoffMs);
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
