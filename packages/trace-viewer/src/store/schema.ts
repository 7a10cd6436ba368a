// The SQLite schema of the span store and the pragmas it runs under (WAL, synchronous=NORMAL:
// a committed batch is in the WAL before the receiver answers, so it survives kill -9).
import type { DatabaseSync } from "node:sqlite";

export const SCHEMA_VERSION = "7";

/** Most attributes of one span indexed as tags (the rest are stored, not indexed). */
export const TAG_SLOTS = 1024;

/** Values longer than this are stored but not indexed as tags (an exact-match search on them
 * would be rare, and the index would grow with every log line put in an attribute). */
export const MAX_TAG_VALUE = 256;

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
    -- One row per chunk: the spans of one trace from one resource and scope of one committed
    -- group (store/chunk.ts has the blobs' layout). The id is the arrival order: trace reads,
    -- the live tail and retention go by it. start_max orders searches newest first.
    CREATE TABLE IF NOT EXISTS chunks (
      id INTEGER PRIMARY KEY,
      trace_no INTEGER NOT NULL,
      service_id INTEGER NOT NULL,
      resource_id INTEGER NOT NULL,
      scope_id INTEGER NOT NULL,
      n INTEGER NOT NULL,
      start_min INTEGER NOT NULL,
      start_max INTEGER NOT NULL,
      dur_max INTEGER NOT NULL,
      errors INTEGER NOT NULL,
      bloom BLOB NOT NULL,
      cols BLOB NOT NULL,
      body BLOB NOT NULL);
    -- (trace_no, n) covers both a trace's chunks and the span count.
    CREATE INDEX IF NOT EXISTS chunks_trace ON chunks (trace_no, n);
    CREATE INDEX IF NOT EXISTS chunks_service_start ON chunks (service_id, start_max);
  `);
  if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
}
