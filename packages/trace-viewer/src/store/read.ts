// Read side of the span store: search, trace fetch, services and operations, dependencies,
// summaries and the live-tail cursor. Runs on a read-only connection; nothing here writes.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type ResourceBody, type ScopeBody, type StoredSpan, valueText } from "../model.ts";
import { decodeStoredBody } from "../otlp/span-bytes.ts";
import { bloomHas, ChunkCols, chunkBodies } from "./chunk.ts";
import { livePageBytes } from "./retention.ts";
import { findTraceIds } from "./search.ts";

export interface TraceQuery {
  service?: string;
  operation?: string;
  /** All must match on one span (its attributes, or its resource's). */
  tags?: Record<string, string>;
  startUs: number;
  endUs: number;
  minDurationUs?: number;
  maxDurationUs?: number;
  /** Number of traces wanted. */
  limit: number;
}

export interface TraceSummary {
  traceId: string;
  rootServiceName: string;
  rootOperationName: string;
  startUs: number;
  endUs: number;
  spanCount: number;
  errorSpanCount: number;
  services: Array<{ name: string; spanCount: number; errorSpanCount: number }>;
}

/** A chunk of a trace as the trace reads see it (store/chunk.ts). */
interface ChunkRow {
  id: number;
  service_id: number;
  resource_id: number;
  scope_id: number;
  cols: Uint8Array;
  body?: Uint8Array;
}

/** A span as the adjusters that need the whole tree see it (query/clock-skew.ts). */
export interface TreeSpan {
  spanId: string;
  parentSpanId: string;
  hostKey: string;
  resourceId: number;
  opId: number;
  startUs: number;
  durationUs: number;
}

export class StoreReader {
  #db: DatabaseSync;
  #stmts = new Map<string, StatementSync>();
  #serviceNames = new Map<number, string>();
  #resources = new Map<number, ResourceBody>();
  #scopes = new Map<number, ScopeBody>();
  #hostKeys = new Map<number, string>();

  /** Entries each metadata cache keeps before it starts over (unique resources are unbounded). */
  static readonly CACHE_ENTRIES = 10_000;

  constructor(db: DatabaseSync) {
    this.#db = db;
    // Tag searches test the chunks' Bloom filters inside SQLite (search.ts), so a trace that
    // lacks a tag costs no round trip to JavaScript.
    db.function("bloom_has", { deterministic: true }, (bloom, a, b) =>
      bloom instanceof Uint8Array && bloomHas(bloom, Number(a), Number(b)) ? 1 : 0,
    );
  }

  /** A prepared statement, cached by its SQL. */
  stmt(sql: string): StatementSync {
    let st = this.#stmts.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  /** Services that still have spans. */
  services(): string[] {
    const rows = this.stmt(
      "SELECT name FROM services s WHERE EXISTS (SELECT 1 FROM chunks INDEXED BY chunks_service_start WHERE service_id = s.id) ORDER BY name",
    ).all() as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }

  /** Operations of a service (all services when empty), with every span kind seen for each. */
  operations(service: string, kind?: number): Array<{ name: string; kind: number }> {
    const where = [service ? "s.name = ?" : "1", kind === undefined ? "1" : "k.kind = ?"];
    const args: Array<string | number> = [];
    if (service) args.push(service);
    if (kind !== undefined) args.push(kind);
    return this.stmt(
      `SELECT DISTINCT o.name AS name, k.kind AS kind FROM operations o JOIN services s ON s.id = o.service_id JOIN operation_kinds k ON k.op_id = o.id WHERE ${where.join(" AND ")} ORDER BY o.name, k.kind`,
    ).all(...args) as Array<{ name: string; kind: number }>;
  }

  /**
   * Trace ids (16 bytes) of the newest traces that have a span matching service, operation,
   * time window and durations, and carry every tag somewhere (see search.ts).
   */
  findTraceIds(q: TraceQuery): Buffer[] {
    return findTraceIds(this, q);
  }

  /** Whether any span of the trace is stored. */
  hasTrace(traceId: Buffer): boolean {
    const no = this.#traceNo(traceId);
    return (
      no !== undefined &&
      !!this.stmt("SELECT 1 FROM chunks INDEXED BY chunks_trace WHERE trace_no = ? LIMIT 1").get(no)
    );
  }

  /** All spans of a trace, oldest first; empty when unknown. */
  trace(traceId: Buffer): StoredSpan[] {
    return [...this.traceSpans(traceId, Number.MAX_SAFE_INTEGER)];
  }

  /**
   * The spans of a trace, oldest first, one at a time (a huge trace is never all in memory),
   * at most `max` of them; the generator returns whether spans were left out.
   */
  *traceSpans(traceId: Buffer, max: number): Generator<StoredSpan, boolean> {
    const traceHex = traceId.toString("hex");
    const it = this.#traceChunks(traceId, max, true);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
      const [c, keep] = r.value;
      const cols = new ChunkCols(c.cols);
      let i = 0;
      for (const raw of chunkBodies(c.body!)) {
        if (!keep || keep.has(i)) yield this.#toSpan(c, cols, i, raw, traceHex);
        i++;
      }
    }
  }

  /**
   * What the clock-skew adjuster needs of each span that traceSpans(traceId, max) yields, in the
   * same order, without the bodies: ids, host key of its resource, times.
   */
  *traceTree(traceId: Buffer, max: number): Generator<TreeSpan, boolean> {
    const it = this.#traceChunks(traceId, max, false);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
      const [c, keep] = r.value;
      const cols = new ChunkCols(c.cols);
      const hostKey = this.hostKey(c.resource_id);
      for (let i = 0; i < cols.n; i++) {
        if (keep && !keep.has(i)) continue;
        yield {
          spanId: cols.spanHex(i),
          parentSpanId: cols.parentHex(i),
          hostKey,
          resourceId: c.resource_id,
          opId: cols.opId(i),
          startUs: cols.startUs(i),
          durationUs: cols.durationUs(i),
        };
      }
    }
  }

  /**
   * The chunks of a trace in arrival order (as Jaeger's stores return spans), each with the
   * indexes of its spans to keep when the trace holds more than `max` (then the `max` that
   * started first are kept); the generator returns whether spans were left out.
   */
  *#traceChunks(
    traceId: Buffer,
    max: number,
    withBody: boolean,
  ): Generator<[ChunkRow, Set<number> | null], boolean> {
    const no = this.#traceNo(traceId);
    if (no === undefined) return false;
    const total = (
      this.stmt(
        "SELECT coalesce(sum(n), 0) AS n FROM chunks INDEXED BY chunks_trace WHERE trace_no = ?",
      ).get(no) as { n: number }
    ).n;
    if (total === 0) return false;
    let keep: Map<number, Set<number>> | null = null;
    if (total > max) {
      const all: Array<[number, number, number]> = [];
      for (const c of this.stmt(
        "SELECT id, cols FROM chunks INDEXED BY chunks_trace WHERE trace_no = ?",
      ).iterate(no) as Iterable<{ id: number; cols: Uint8Array }>) {
        const cols = new ChunkCols(c.cols);
        for (let i = 0; i < cols.n; i++) all.push([cols.startUs(i), c.id, i]);
      }
      all.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
      keep = new Map();
      for (const [, id, i] of all.slice(0, max)) {
        let set = keep.get(id);
        if (!set) keep.set(id, (set = new Set()));
        set.add(i);
      }
    }
    // A separate statement per call: a search streams one trace while it checks others.
    const rows = this.#db
      .prepare(
        `SELECT id, service_id, resource_id, scope_id, cols${withBody ? ", body" : ""} FROM chunks INDEXED BY chunks_trace WHERE trace_no = ? ORDER BY id`,
      )
      .iterate(no) as Iterable<ChunkRow>;
    for (const c of rows) {
      if (!keep) yield [c, null];
      else {
        const set = keep.get(c.id);
        if (set) yield [c, set];
      }
    }
    return keep !== null;
  }

  /**
   * Which host a resource's spans come from, for the clock-skew adjuster: `host.id`, else
   * `host.ip` (its first entry if a list), else `host.name` (as Jaeger's adjuster), else the
   * `ip` process tag Jaeger clients send; "" when unknown.
   */
  hostKey(resourceId: number): string {
    let key = this.#hostKeys.get(resourceId);
    if (key === undefined) {
      const attrs = this.#resource(resourceId).attributes;
      const find = (k: string) => attrs.find((kv) => kv.key === k)?.value;
      key = "";
      for (const k of ["host.id", "host.ip", "host.name", "ip"]) {
        const v = find(k);
        if (!v) continue;
        const first = "arrayValue" in v ? v.arrayValue.values[0] : v;
        if (first) key = valueText(first);
        break;
      }
      if (this.#hostKeys.size >= StoreReader.CACHE_ENTRIES) this.#hostKeys.clear();
      this.#hostKeys.set(resourceId, key);
    }
    return key;
  }

  #toSpan(c: ChunkRow, cols: ChunkCols, i: number, raw: Uint8Array, traceHex: string): StoredSpan {
    const body = decodeStoredBody(raw);
    return {
      traceId: traceHex,
      spanId: cols.spanHex(i),
      parentSpanId: cols.parentHex(i),
      service: this.#serviceName(c.service_id),
      resourceId: c.resource_id,
      resource: this.#resource(c.resource_id),
      scopeId: c.scope_id,
      scope: this.#scope(c.scope_id),
      startUs: cols.startUs(i),
      durationUs: cols.durationUs(i),
      body,
    };
  }

  /** A resource's attributes (tag searches match them too). */
  resourceAttributes(id: number): ResourceBody["attributes"] {
    return this.#resource(id).attributes;
  }

  /** The 16-byte id of a trace number (search and the live tail find trace numbers). */
  traceIdOf(no: number): Buffer | undefined {
    const row = this.stmt("SELECT trace_id FROM traces WHERE no = ?").get(no) as
      | { trace_id: Uint8Array }
      | undefined;
    return row ? Buffer.from(row.trace_id) : undefined;
  }

  #traceNo(traceId: Buffer): number | undefined {
    const row = this.stmt("SELECT no FROM traces WHERE trace_id = ?").get(traceId) as
      | { no: number }
      | undefined;
    return row?.no;
  }

  #serviceName(id: number): string {
    let name = this.#serviceNames.get(id);
    if (name === undefined) {
      const row = this.stmt("SELECT name FROM services WHERE id = ?").get(id) as { name: string };
      name = row?.name ?? "unknown_service";
      if (this.#serviceNames.size >= StoreReader.CACHE_ENTRIES) this.#serviceNames.clear();
      this.#serviceNames.set(id, name);
    }
    return name;
  }

  #resource(id: number): ResourceBody {
    let r = this.#resources.get(id);
    if (!r) {
      const row = this.stmt("SELECT body FROM resources WHERE id = ?").get(id) as { body: string };
      r = row ? (JSON.parse(row.body) as ResourceBody) : { attributes: [] };
      if (this.#resources.size >= StoreReader.CACHE_ENTRIES) this.#resources.clear();
      this.#resources.set(id, r);
    }
    return r;
  }

  #scope(id: number): ScopeBody {
    let s = this.#scopes.get(id);
    if (!s) {
      const row = this.stmt("SELECT body FROM scopes WHERE id = ?").get(id) as { body: string };
      s = row ? (JSON.parse(row.body) as ScopeBody) : { name: "" };
      if (this.#scopes.size >= StoreReader.CACHE_ENTRIES) this.#scopes.clear();
      this.#scopes.set(id, s);
    }
    return s;
  }

  /** A short description of a trace without its span bodies. */
  summary(traceId: Buffer): TraceSummary | null {
    const no = this.#traceNo(traceId);
    if (no === undefined) return null;
    const perService = new Map<number, { spanCount: number; errorSpanCount: number }>();
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    let errors = 0;
    let count = 0;
    // The root: the earliest span without a parent, else the earliest span.
    let root: { start: number; orphan: boolean; service: number; op: number } | null = null;
    for (const c of this.stmt(
      "SELECT service_id, cols FROM chunks INDEXED BY chunks_trace WHERE trace_no = ? ORDER BY id",
    ).iterate(no) as Iterable<{ service_id: number; cols: Uint8Array }>) {
      const cols = new ChunkCols(c.cols);
      const s = perService.get(c.service_id) ?? { spanCount: 0, errorSpanCount: 0 };
      perService.set(c.service_id, s);
      for (let i = 0; i < cols.n; i++) {
        const st = cols.startUs(i);
        const err = cols.error(i) ? 1 : 0;
        start = Math.min(start, st);
        end = Math.max(end, st + cols.durationUs(i));
        errors += err;
        count++;
        s.spanCount++;
        s.errorSpanCount += err;
        const orphan = cols.parentHex(i) === "";
        if (!root || (orphan && !root.orphan) || (orphan === root.orphan && st < root.start)) {
          root = { start: st, orphan, service: c.service_id, op: cols.opId(i) };
        }
      }
    }
    if (!root) return null;
    const op = this.stmt("SELECT name FROM operations WHERE id = ?").get(root.op) as
      | { name: string }
      | undefined;
    return {
      traceId: traceId.toString("hex"),
      rootServiceName: this.#serviceName(root.service),
      rootOperationName: op?.name ?? "",
      startUs: start,
      endUs: end,
      spanCount: count,
      errorSpanCount: errors,
      services: [...perService].map(([id, s]) => ({ name: this.#serviceName(id), ...s })),
    };
  }

  /** Caller -> callee service pairs of spans that started in [startUs, endUs], by a scan of every
   * stored span (the API answers from the ingest-time aggregates; tests keep this as the oracle). */
  dependencies(
    startUs: number,
    endUs: number,
  ): Array<{ parent: string; child: string; callCount: number }> {
    const counts = new Map<string, number>();
    let traceNo = -1;
    let owner = new Map<string, number>();
    let children: Array<[string, number]> = [];
    const finish = () => {
      for (const [parent, svc] of children) {
        const p = owner.get(parent);
        if (p === undefined || p === svc) continue;
        const k = `${this.#serviceName(p)}\u0000${this.#serviceName(svc)}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    };
    for (const c of this.stmt(
      "SELECT trace_no, service_id, cols FROM chunks ORDER BY trace_no",
    ).iterate() as Iterable<{ trace_no: number; service_id: number; cols: Uint8Array }>) {
      if (c.trace_no !== traceNo) {
        finish();
        traceNo = c.trace_no;
        owner = new Map();
        children = [];
      }
      const cols = new ChunkCols(c.cols);
      for (let i = 0; i < cols.n; i++) {
        owner.set(cols.spanHex(i), c.service_id);
        const p = cols.parentHex(i);
        const st = cols.startUs(i);
        if (p && st >= startUs && st <= endUs) children.push([p, c.service_id]);
      }
    }
    finish();
    return [...counts]
      .map(([k, callCount]) => {
        const [parent = "", child = ""] = k.split("\u0000");
        return { parent, child, callCount };
      })
      .sort((a, b) => (a.parent + "\u0000" + a.child < b.parent + "\u0000" + b.child ? -1 : 1));
  }

  /** The newest chunk id, the cursor of the live tail. */
  lastId(): number {
    const row = this.stmt("SELECT coalesce(max(id), 0) AS m FROM chunks").get() as { m: number };
    return row.m;
  }

  /** Traces that got spans after chunk id `since` (newest first), optionally of one service. */
  tracesSince(since: number, limit: number, service?: string): Buffer[] {
    const args: Array<number | string> = [since];
    let sql = "SELECT trace_no AS n FROM chunks WHERE id > ?";
    if (service) {
      sql += " AND service_id = (SELECT id FROM services WHERE name = ?)";
      args.push(service);
    }
    sql += " ORDER BY id DESC";
    const seen = new Set<number>();
    const out: Buffer[] = [];
    for (const row of this.stmt(sql).iterate(...args) as Iterable<{ n: number }>) {
      if (seen.has(row.n)) continue;
      seen.add(row.n);
      const id = this.traceIdOf(row.n);
      if (id) out.push(id);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Span count (and the live-tail cursor) for the info endpoint. */
  stats(): { spanCount: number; lastId: number } {
    const row = this.stmt(
      "SELECT coalesce(sum(n), 0) AS n FROM chunks INDEXED BY chunks_trace",
    ).get() as { n: number };
    return { spanCount: row.n, lastId: this.lastId() };
  }

  /** Bytes held by live pages (what --max-size caps, less the WAL); read-only pragmas. */
  usedBytes(): number {
    return livePageBytes(this.#db);
  }
}
