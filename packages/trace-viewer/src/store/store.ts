// The span store: one SQLite database (node:sqlite) written by the receivers in one transaction
// per group of export requests, read by the query API through read-only connections, held
// under --max-size right after each commit and trimmed by age on an unref'd timer.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type IngestResource, valueText } from "../model.ts";
import { Aggregates } from "./aggregates.ts";
import { ChunkBuilder } from "./chunk.ts";
import { prepareWriter, WriterIds, type WriterStatements } from "./ids.ts";
import { StoreReader } from "./read.ts";
import { livePageBytes, trimToSize, trimUnreferenced, walBytes } from "./retention.ts";
import { applySchema, MAX_TAG_VALUE, TAG_SLOTS } from "./schema.ts";

const NO_PARENT = new Uint8Array(8);

/** A chunk being filled by the open transaction, and the row values it is written with. */
interface OpenChunk {
  b: ChunkBuilder;
  svc: number;
  res: number;
  scope: number;
  traceNo: number;
}

export interface StoreOptions {
  /** Database file, or ":memory:". */
  path: string;
  /** Drop spans that started longer ago than this (ms); 0 keeps them forever. */
  retentionMs?: number;
  /** Drop the oldest spans once the live data exceeds this many bytes; 0 means no cap. */
  maxBytes?: number;
  /** Wall clock in ms (injectable for tests). */
  clock?: () => number;
  /** How often retention runs (ms); 0 disables the timer (call enforceRetention yourself). */
  retentionIntervalMs?: number;
  /** Open a separate read-only connection for `reader` (default true; the writer thread, which
   * answers no queries, says false). */
  readConnection?: boolean;
  /** Keep the ingest-time aggregates (System Architecture, Monitor); default true. Off only to
   * measure what they cost. */
  aggregates?: boolean;
}

export interface RetentionResult {
  deletedByAge: number;
  deletedBySize: number;
  /** Whether the row budget ran out (or the store is still over its cap). */
  more: boolean;
}

/** Spans deleted per statement by age retention. */
const CHUNK = 10_000;

export class TraceStore {
  readonly path: string;
  readonly inMemory: boolean;
  readonly reader: StoreReader;
  #db: DatabaseSync;
  #readDb: DatabaseSync;
  #clock: () => number;
  #retentionMs: number;
  #maxBytes: number;
  #timer: NodeJS.Timeout | undefined;
  #ids: WriterIds;
  #st: WriterStatements;
  #agg: Aggregates | null;
  #closed = false;
  /** Live spans and chunks (kept in step with inserts and deletes; sizes the trims). */
  #spanCount: number;
  #chunkCount: number;
  /** First chunk id of the newest committed group: size retention never deletes from there on. */
  #protectFrom = 0;
  /** Next chunk id, counted here so ids keep growing even after retention emptied the table
   * (the live tail's cursor is a chunk id). */
  #nextId: number;

  constructor(opts: StoreOptions) {
    this.path = opts.path;
    this.inMemory = opts.path === ":memory:";
    this.#clock = opts.clock ?? Date.now;
    this.#retentionMs = opts.retentionMs ?? 0;
    this.#maxBytes = opts.maxBytes ?? 0;
    if (!this.inMemory) mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
    this.#db = new DatabaseSync(opts.path);
    this.#db.exec("PRAGMA busy_timeout = 5000");
    applySchema(this.#db, this.inMemory, this.#maxBytes);
    // The query API reads through a read-only connection so it cannot write even by mistake.
    // An in-memory database is private to its connection, so there the one connection serves.
    this.#readDb =
      this.inMemory || opts.readConnection === false
        ? this.#db
        : new DatabaseSync(opts.path, { readOnly: true });
    this.reader = new StoreReader(this.#readDb);
    const db = this.#db;
    this.#st = prepareWriter(db);
    this.#ids = new WriterIds(this.#st);
    this.#agg = opts.aggregates === false ? null : new Aggregates(db, this.#clock);
    this.#nextId = (this.#st.nextId.get() as { n: number }).n;
    const counts = db
      .prepare("SELECT count(*) AS c, coalesce(sum(n), 0) AS n FROM chunks INDEXED BY chunks_trace")
      .get() as { c: number; n: number };
    this.#spanCount = Number(counts.n);
    this.#chunkCount = Number(counts.c);
    const every = opts.retentionIntervalMs ?? 10_000;
    if (every > 0 && (this.#retentionMs > 0 || this.#maxBytes > 0)) {
      // Each step deletes a bounded number of spans, then yields to the receivers and queries.
      const step = () => {
        try {
          if (this.enforceRetention(CHUNK * 5).more) setTimeout(step, 0).unref();
        } catch {
          // A failed trim is retried on the next tick; ingest must not stop because of it.
        }
      };
      this.#timer = setInterval(step, every);
      this.#timer.unref();
    }
  }

  /**
   * Stores every span of one export request in a single transaction and returns once it is
   * committed, so the caller may acknowledge the request.
   */
  ingest(resources: IngestResource[]): number {
    return this.ingestMany([resources]);
  }

  /**
   * Stores several requests' spans in one transaction (group commit): one chunk row per trace,
   * resource and scope of the group (store/chunk.ts), so a span costs no row and no index entry
   * of its own.
   */
  ingestMany(requests: IngestResource[][]): number {
    const st = this.#st;
    let stored = 0;
    this.#db.exec("BEGIN IMMEDIATE");
    let firstId = 0;
    try {
      let id = this.#nextId;
      firstId = id;
      // Chunks in the order their first span arrived, keyed by resource, scope and trace.
      const chunks = new Map<string, OpenChunk>();
      const used = {
        services: new Set<number>(),
        ops: new Set<number>(),
        res: new Set<number>(),
        scopes: new Set<number>(),
      };
      let open: OpenChunk | undefined;
      for (const r of requests.flat()) {
        const svc = this.#ids.serviceId(r.service);
        const res = this.#ids.resourceId(svc, r);
        used.services.add(svc);
        used.res.add(res);
        for (const sc of r.scopes) {
          const scope = this.#ids.scopeId(JSON.stringify(sc.scope));
          used.scopes.add(scope);
          for (const s of sc.spans) {
            const op = this.#ids.opId(svc, s.body.name, s.body.kind);
            used.ops.add(op);
            const traceNo = this.#ids.traceNo(s.traceId);
            // A trace's spans mostly come one after another: the last chunk is tried first.
            let c = open;
            if (!c || c.traceNo !== traceNo || c.res !== res || c.scope !== scope) {
              const key = `${res}:${scope}:${traceNo}`;
              c = chunks.get(key);
              if (!c) {
                c = { b: new ChunkBuilder(), svc, res, scope, traceNo };
                chunks.set(key, c);
              }
              open = c;
            }
            c.b.add(
              {
                spanId: s.spanId,
                parentId: s.parentSpanId ?? NO_PARENT,
                opId: op,
                kind: s.body.kind,
                error: s.error,
                startUs: s.startUs,
                durationUs: s.durationUs,
              },
              s.raw,
            );
            this.#agg?.add(traceNo, r.service, s);
            let slots = TAG_SLOTS;
            for (const kv of s.body.attributes) {
              if (slots-- <= 0) break;
              const text = valueText(kv.value);
              if (text.length <= MAX_TAG_VALUE) c.b.tag(kv.key, text);
            }
            stored++;
          }
        }
      }
      for (const c of chunks.values()) {
        const b = c.b;
        st.chunk.run(
          id++,
          c.traceNo,
          c.svc,
          c.res,
          c.scope,
          b.n,
          b.startMin,
          b.startMax,
          b.durMax,
          b.errors,
          b.bloom(),
          b.cols(),
          b.body(),
        );
      }
      const last = id - 1;
      for (const x of used.services) st.svcLast.run(last, x);
      for (const x of used.ops) st.opLast.run(last, x);
      for (const x of used.res) st.resLast.run(last, x);
      for (const x of used.scopes) st.scopeLast.run(last, x);
      this.#agg?.flush();
      this.#db.exec("COMMIT");
      this.#nextId = id;
      this.#chunkCount += chunks.size;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      this.#agg?.discard();
      // Ids handed out inside the rolled-back transaction no longer exist.
      this.#ids.clear();
      throw e;
    }
    this.#spanCount += stored;
    if (stored > 0) this.#protectFrom = firstId;
    // Enforced at every commit, not on a timer: the store never runs past its cap by more than
    // the group just written. A failed trim must not fail a batch that is already committed.
    if (this.#maxBytes > 0) {
      try {
        this.#trimSize(Number.POSITIVE_INFINITY);
      } catch (e) {
        process.stderr.write(`periscope viewer: size retention failed: ${(e as Error).message}\n`);
      }
    }
    return stored;
  }

  #trimSize(maxRows: number): number {
    const r = trimToSize(
      this.#db,
      this.path,
      this.#maxBytes,
      this.#protectFrom,
      this.#chunkCount,
      Number.isFinite(maxRows) ? Math.max(1, Math.ceil(maxRows / this.#spansPerChunk())) : maxRows,
    );
    this.#spanCount -= r.deleted;
    this.#chunkCount -= r.chunks;
    if (r.deleted > 0) {
      this.#ids.clearTraceNos();
      this.#agg?.pruneToStoredSpans();
    }
    if (r.metadataDropped) this.#ids.clear();
    return r.deleted;
  }

  /** Children waiting for a parent span not seen yet (System Architecture's edges). */
  get aggregatesPending(): number {
    return this.#agg?.pendingParents ?? 0;
  }

  #spansPerChunk(): number {
    return this.#chunkCount > 0 ? Math.max(1, this.#spanCount / this.#chunkCount) : 1;
  }

  /** Bytes counted against --max-size: live pages plus the WAL file. */
  usedBytes(): number {
    return livePageBytes(this.#db) + walBytes(this.path);
  }

  /**
   * Drops spans past the age limit, then the oldest spans while over the size limit, deleting at
   * most `maxRows` spans (in chunks of CHUNK rows, each its own short transaction); `more` says
   * whether work is left for another call.
   */
  enforceRetention(maxRows = Number.POSITIVE_INFINITY): RetentionResult {
    const out: RetentionResult = { deletedByAge: 0, deletedBySize: 0, more: false };
    if (this.#closed) return out;
    const db = this.#db;
    const budget = () => maxRows - out.deletedByAge - out.deletedBySize;
    if (this.#retentionMs > 0) {
      const cutoffUs = (this.#clock() - this.#retentionMs) * 1000;
      this.#agg?.prune(cutoffUs / 1000);
      // Per service, so the (service, start) index finds the old chunks: a chunk goes once its
      // newest span is past the cutoff. The budget counts spans; a statement takes whole chunks.
      const del = db.prepare(
        "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE service_id = ? AND start_max < ? LIMIT ?) RETURNING n",
      );
      const services = db.prepare("SELECT id FROM services").all() as Array<{ id: number }>;
      for (const { id } of services) {
        while (budget() > 0) {
          const want = Math.max(1, Math.min(CHUNK, Math.ceil(budget() / this.#spansPerChunk())));
          const rows = del.all(id, cutoffUs, want) as Array<{ n: number }>;
          this.#chunkCount -= rows.length;
          for (const r of rows) out.deletedByAge += r.n;
          if (rows.length < want) break;
        }
      }
      // Out of budget: there may be more (an exact check would cost another index probe).
      if (budget() <= 0) out.more = true;
    }
    if (out.deletedByAge > 0) {
      this.#spanCount -= out.deletedByAge;
      const row = db.prepare("SELECT min(id) AS m FROM chunks").get() as { m: number | null };
      const low = row.m ?? this.#nextId;
      if (trimUnreferenced(db, low)) this.#ids.clear();
      this.#ids.clearTraceNos();
      db.exec("PRAGMA incremental_vacuum");
    }
    if (this.#maxBytes > 0 && budget() > 0) {
      out.deletedBySize = this.#trimSize(budget());
      if (budget() <= 0 && livePageBytes(db) > this.#maxBytes) out.more = true;
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#readDb !== this.#db) this.#readDb.close();
    this.#db.close();
  }
}
