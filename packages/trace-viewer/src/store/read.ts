// Read side of the span store: search, trace fetch, services and operations, dependencies,
// summaries and the live-tail cursor. Runs on a read-only connection; nothing here writes.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type ResourceBody, type ScopeBody, type StoredSpan, valueText } from "../model.ts";
import { decodeStoredSpan } from "../otlp/span-bytes.ts";
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

interface SpanRow {
  service_id: number;
  resource_id: number;
  scope_id: number;
  start_us: number;
  duration_us: number;
  body: Uint8Array;
}

// The span and parent ids are read from the body (decoded anyway): each blob column read costs
// about as much as the body itself.
const SPAN_COLUMNS = "service_id, resource_id, scope_id, start_us, duration_us, body";

// The tree pass reads 256 spans per row, joined into one text by SQLite: a row costs about a
// microsecond and a half in node:sqlite whatever it holds, so this is a fraction of the cost
// of one row per span.
const TREE_COLUMNS = `group_concat(lower(hex(span_id)) || ',' || lower(hex(parent_id)) || ',' || resource_id || ',' || op_id || ',' || start_us || ',' || duration_us, ';' ORDER BY id) AS g`;
const TREE_GROUP = " GROUP BY id >> 8";

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

/** Ids at most this far apart are read in one range scan (a run); see traceSpans. */
const RUN_GAP = 16;

/** Sorted ids as [first, last] runs whose neighbours are at most RUN_GAP apart. */
function idRuns(ids: Array<{ id: number }>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const { id } of ids) {
    const last = runs.at(-1);
    if (last && id - last[1] <= RUN_GAP) last[1] = id;
    else runs.push([id, id]);
  }
  return runs;
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
      "SELECT name FROM services s WHERE EXISTS (SELECT 1 FROM spans WHERE service_id = s.id) ORDER BY name",
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
      no !== undefined && !!this.stmt("SELECT 1 FROM spans WHERE trace_no = ? LIMIT 1").get(no)
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
    const it = this.#traceRows(traceId, max, SPAN_COLUMNS);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
      yield this.#toSpan(r.value as unknown as SpanRow, traceHex);
    }
  }

  /**
   * What the clock-skew adjuster needs of each span that traceSpans(traceId, max) yields, in the
   * same order, without the bodies: ids, host key of its resource, times.
   */
  *traceTree(traceId: Buffer, max: number): Generator<TreeSpan, boolean> {
    const it = this.#traceRows(traceId, max, TREE_COLUMNS, TREE_GROUP);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
      for (const one of (r.value as { g: string }).g.split(";")) {
        const [s = "", p = "", res, op, start, duration] = one.split(",");
        const resourceId = Number(res);
        yield {
          spanId: s,
          // "" for no parent (hex of NULL).
          parentSpanId: p === "0000000000000000" ? "" : p,
          hostKey: this.hostKey(resourceId),
          resourceId,
          opId: Number(op),
          startUs: Number(start),
          durationUs: Number(duration),
        };
      }
    }
  }

  /** Rows of a trace's spans (see traceSpans), with the given columns. */
  *#traceRows(
    traceId: Buffer,
    max: number,
    columns: string,
    group = "",
  ): Generator<object, boolean> {
    const no = this.#traceNo(traceId);
    if (no === undefined) return false;
    // Spans come in arrival order (span id order), as Jaeger's stores return them, and the
    // oldest when capped. The count and id range come from the covering index.
    const span = this.stmt(
      "SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM spans INDEXED BY spans_trace WHERE trace_no = ?",
    ).get(no) as { n: number; lo: number | null; hi: number | null };
    if (span.n === 0 || span.lo === null || span.hi === null) return false;
    // A separate statement per call: a search streams one trace while it checks others.
    const range = this.#db.prepare(
      // `+trace_no`: a rowid range scan, never the trace index (which would return span id order).
      `SELECT ${columns} FROM spans WHERE id BETWEEN ? AND ? AND +trace_no = ?${group}`,
    );
    if (span.n > max) {
      const ids = this.stmt(
        "SELECT id FROM spans WHERE trace_no = ? ORDER BY start_us, id LIMIT ?",
      ).all(no, max) as Array<{ id: number }>;
      for (const { id } of ids) {
        const r = range.get(id, id, no);
        if (r) yield r;
      }
      return true;
    }
    // Reading rows one rowid lookup at a time cost more than everything else of a fetch; a
    // trace's spans mostly arrive together, so they are read as runs of neighbouring ids, each
    // one range scan of the table (rows of other traces in a run are skipped inside SQLite).
    // A trace spread thinly over the table has its ids listed first to find the runs.
    const runs: Array<[number, number]> =
      span.n * RUN_GAP >= span.hi - span.lo + 1
        ? [[span.lo, span.hi]]
        : idRuns(
            this.stmt(
              "SELECT id FROM spans INDEXED BY spans_trace WHERE trace_no = ? ORDER BY id",
            ).all(no) as Array<{ id: number }>,
          );
    for (const [lo, hi] of runs) yield* range.iterate(lo, hi, no);
    return false;
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

  #toSpan(r: SpanRow, traceHex: string): StoredSpan {
    const span = decodeStoredSpan(r.body);
    return {
      traceId: traceHex,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      service: this.#serviceName(r.service_id),
      resourceId: r.resource_id,
      resource: this.#resource(r.resource_id),
      scopeId: r.scope_id,
      scope: this.#scope(r.scope_id),
      startUs: r.start_us,
      durationUs: r.duration_us,
      body: span.body,
    };
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
    const rows = this.stmt(
      "SELECT parent_id, service_id, op_id, start_us, duration_us, error FROM spans WHERE trace_no = ? ORDER BY start_us, id",
    ).all(no) as Array<{
      parent_id: Uint8Array | null;
      service_id: number;
      op_id: number;
      start_us: number;
      duration_us: number;
      error: number;
    }>;
    if (rows.length === 0) return null;
    const root = rows.find((r) => r.parent_id === null) ?? rows[0]!;
    const perService = new Map<number, { spanCount: number; errorSpanCount: number }>();
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    let errors = 0;
    for (const r of rows) {
      start = Math.min(start, r.start_us);
      end = Math.max(end, r.start_us + r.duration_us);
      errors += r.error;
      const s = perService.get(r.service_id) ?? { spanCount: 0, errorSpanCount: 0 };
      s.spanCount++;
      s.errorSpanCount += r.error;
      perService.set(r.service_id, s);
    }
    const op = this.stmt("SELECT name FROM operations WHERE id = ?").get(root.op_id) as
      | { name: string }
      | undefined;
    return {
      traceId: traceId.toString("hex"),
      rootServiceName: this.#serviceName(root.service_id),
      rootOperationName: op?.name ?? "",
      startUs: start,
      endUs: end,
      spanCount: rows.length,
      errorSpanCount: errors,
      services: [...perService].map(([id, s]) => ({ name: this.#serviceName(id), ...s })),
    };
  }

  /** Caller -> callee service pairs of spans that started in [startUs, endUs]. */
  dependencies(
    startUs: number,
    endUs: number,
  ): Array<{ parent: string; child: string; callCount: number }> {
    return this.stmt(
      `SELECT ps.name AS parent, cs.name AS child, count(*) AS callCount
       FROM spans c
       JOIN spans p ON p.trace_no = c.trace_no AND p.span_id = c.parent_id
       JOIN services ps ON ps.id = p.service_id
       JOIN services cs ON cs.id = c.service_id
       WHERE c.service_id IN (SELECT id FROM services) AND c.start_us >= ? AND c.start_us <= ?
         AND c.parent_id IS NOT NULL AND p.service_id != c.service_id
       GROUP BY ps.name, cs.name ORDER BY ps.name, cs.name`,
    ).all(startUs, endUs) as Array<{ parent: string; child: string; callCount: number }>;
  }

  /** The newest span id, the cursor of the live tail. */
  lastId(): number {
    const row = this.stmt("SELECT coalesce(max(id), 0) AS m FROM spans").get() as { m: number };
    return row.m;
  }

  /** Traces that got spans after span id `since` (newest first), optionally of one service. */
  tracesSince(since: number, limit: number, service?: string): Buffer[] {
    const args: Array<number | string> = [since];
    let sql = "SELECT s.trace_no AS n, s.trace_id AS t FROM spans s WHERE s.id > ?";
    if (service) {
      sql += " AND s.service_id = (SELECT id FROM services WHERE name = ?)";
      args.push(service);
    }
    sql += " ORDER BY s.id DESC";
    const seen = new Set<number>();
    const out: Buffer[] = [];
    for (const row of this.stmt(sql).iterate(...args) as Iterable<{ n: number; t: Uint8Array }>) {
      if (seen.has(row.n)) continue;
      seen.add(row.n);
      out.push(Buffer.from(row.t));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Span count (and the live-tail cursor) for the info endpoint. */
  stats(): { spanCount: number; lastId: number } {
    const row = this.stmt("SELECT count(*) AS n FROM spans").get() as { n: number };
    return { spanCount: row.n, lastId: this.lastId() };
  }

  /** Bytes held by live pages (what --max-size caps, less the WAL); read-only pragmas. */
  usedBytes(): number {
    return livePageBytes(this.#db);
  }
}
