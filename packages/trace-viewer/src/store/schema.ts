// The SQLite schema of the span store and the pragmas it runs under (WAL, synchronous=NORMAL:
// a committed batch is in the WAL before the receiver answers, so it survives kill -9).
import type { DatabaseSync } from "node:sqlite";

export const SCHEMA_VERSION = "6";

/** Most tag rows one span adds (its first attributes; the rest are stored, not indexed). */
export const TAG_SLOTS = 1024;

/** Values longer than this are stored but not indexed as tags (an exact-match search on them
 * would be rare, and the index would grow with every log line put in an attribute). */
export const MAX_TAG_VALUE = 256;

/**
 * The tag index is keyed by (trace_no >> TAG_BUCKET_BITS, key, value), the duration index by
 * (service, trace_no >> TAG_BUCKET_BITS, duration). Without the bucket, one
 * batch's tag rows land all over the index and each commit rewrites hundreds of pages; with it
 * they land in the newest bucket's few pages. A search probes buckets newest first.
 */
export const TAG_BUCKET_BITS = 8;

/** Bytes of the size cap set aside for the WAL: 1/8 of the cap, at most 128 MiB. */
export function walReserve(maxBytes: number): number {
  return maxBytes > 0 ? Math.min(128 * 1024 ** 2, Math.floor(maxBytes / 8)) : 128 * 1024 ** 2;
}

export function applySchema(db: DatabaseSync, inMemory: boolean, maxBytes = 0): void {
  // auto_vacuum must be chosen before the first table exists; it lets retention give space back.
  db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  if (!inMemory) {
    db.exec("PRAGMA journal_mode = WAL");
    // Checkpoint after a quarter of the WAL reserve (32 MiB by default, not SQLite's 4 MiB):
    // index pages dirtied by many batches are then copied into the database once, which
    // measurably lowers ingest CPU per span. The WAL is truncated back to that size after a
    // checkpoint; the rest of the reserve covers the transactions written before the next
    // reset. A long read can hold the WAL back past its reserve; retention then counts it.
    const quarter = Math.floor(walReserve(maxBytes) / 4);
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(8, Math.floor(quarter / 4096))}`);
    db.exec(`PRAGMA journal_size_limit = ${quarter}`);
  }
  db.exec(`
    PRAGMA synchronous = NORMAL;
    PRAGMA temp_store = MEMORY;
    PRAGMA cache_size = -65536;
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
  // Checked before the other tables are touched: an older file's tables lack newer columns.
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as
    | { value: string }
    | undefined;
  if (row && row.value !== SCHEMA_VERSION) {
    throw new Error(
      `PERISCOPE_VIEWER_SCHEMA: the data directory holds schema ${row.value}, this viewer reads ${SCHEMA_VERSION}; use another --data directory or delete the old one`,
    );
  }
  db.exec(`
    CREATE TABLE IF NOT EXISTS services (
      id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
      last_span INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS operations (
      id INTEGER PRIMARY KEY AUTOINCREMENT, service_id INTEGER NOT NULL, name TEXT NOT NULL,
      last_span INTEGER NOT NULL DEFAULT 0, UNIQUE (service_id, name));
    CREATE TABLE IF NOT EXISTS operation_kinds (
      op_id INTEGER NOT NULL, kind INTEGER NOT NULL, PRIMARY KEY (op_id, kind)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS resources (
      id INTEGER PRIMARY KEY AUTOINCREMENT, service_id INTEGER NOT NULL, body TEXT NOT NULL UNIQUE,
      last_span INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS resource_tags (
      key TEXT NOT NULL, value TEXT NOT NULL, resource_id INTEGER NOT NULL,
      PRIMARY KEY (key, value, resource_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS scopes (
      id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL UNIQUE,
      last_span INTEGER NOT NULL DEFAULT 0);
    -- Metadata rows carry the newest span that used them (ids are never reused: AUTOINCREMENT),
    -- so retention drops those whose spans are all gone with one range delete per table.
    CREATE INDEX IF NOT EXISTS services_last ON services (last_span);
    CREATE INDEX IF NOT EXISTS operations_last ON operations (last_span);
    CREATE INDEX IF NOT EXISTS resources_last ON resources (last_span);
    CREATE INDEX IF NOT EXISTS scopes_last ON scopes (last_span);
    CREATE TABLE IF NOT EXISTS traces (no INTEGER PRIMARY KEY, trace_id BLOB NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS spans (
      id INTEGER PRIMARY KEY,
      trace_no INTEGER NOT NULL,
      trace_id BLOB NOT NULL,
      span_id BLOB NOT NULL,
      parent_id BLOB,
      service_id INTEGER NOT NULL,
      op_id INTEGER NOT NULL,
      start_us INTEGER NOT NULL,
      duration_us INTEGER NOT NULL,
      error INTEGER NOT NULL,
      kind INTEGER NOT NULL,
      resource_id INTEGER NOT NULL,
      scope_id INTEGER NOT NULL,
      body BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS spans_trace ON spans (trace_no, span_id);
    CREATE INDEX IF NOT EXISTS spans_service_start ON spans (service_id, start_us);
    CREATE INDEX IF NOT EXISTS spans_op_start ON spans (op_id, start_us);
    CREATE INDEX IF NOT EXISTS spans_service_duration
      ON spans (service_id, (trace_no >> ${TAG_BUCKET_BITS}), duration_us);
    -- One b-tree (no rowid table plus index): a tag pair is written once per trace, whichever
    -- batch repeats it, and retention drops whole buckets older than the oldest live trace.
    CREATE TABLE IF NOT EXISTS trace_tags (
      bucket INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, trace_no INTEGER NOT NULL,
      PRIMARY KEY (bucket, key, value, trace_no)) WITHOUT ROWID;
  `);
  if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
}
