// Retention rules of the span store: what counts against --max-size (the database's pages and
// the WAL), the oldest-first trim run right after each commit (never touching the batch just
// committed), and the cleanup of metadata rows (services, operations, resources, scopes) and
// trace numbers whose chunks are all gone.
import { statSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import type { ResourceBody } from "../model.ts";
import { valueText } from "../model.ts";
import { MAX_TAG_VALUE, walReserve } from "./schema.ts";

const num = (db: DatabaseSync, sql: string) =>
  Number(Object.values(db.prepare(sql).get() ?? {})[0] ?? 0);

/** Bytes of the database's live pages (free pages are reused before the file grows). */
export function livePageBytes(db: DatabaseSync): number {
  return (
    (num(db, "PRAGMA page_count") - num(db, "PRAGMA freelist_count")) * num(db, "PRAGMA page_size")
  );
}

/** The WAL file's size now (0 in memory or when absent). */
export function walBytes(path: string): number {
  if (path === ":memory:") return 0;
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * How many bytes the database's pages may take under a cap: the cap less the WAL's reserve, or
 * less the WAL's actual size when a long read has held it past its reserve.
 */
export function pageBudget(path: string, maxBytes: number): number {
  if (path === ":memory:") return maxBytes;
  return maxBytes - Math.max(walReserve(maxBytes), walBytes(path));
}

/**
 * Deletes the trace numbers and metadata rows no live chunk refers to any more, given the
 * oldest live chunk id. Returns whether metadata rows went (the writer's id caches are then stale).
 */
export function trimUnreferenced(db: DatabaseSync, minLiveSpan: number): boolean {
  db.exec(
    "DELETE FROM traces WHERE no < (SELECT coalesce(min(trace_no), 0) FROM chunks INDEXED BY chunks_trace)",
  );
  let dropped = 0;
  // Resource tags are keyed by (key, value, resource): delete them through the resource's body.
  const stale = db
    .prepare("SELECT id, body FROM resources WHERE last_span < ?")
    .all(minLiveSpan) as Array<{ id: number; body: string }>;
  const delTag = db.prepare(
    "DELETE FROM resource_tags WHERE key = ? AND value = ? AND resource_id = ?",
  );
  for (const r of stale) {
    for (const kv of (JSON.parse(r.body) as ResourceBody).attributes) {
      const text = valueText(kv.value);
      if (text.length <= MAX_TAG_VALUE) delTag.run(kv.key, text, r.id);
    }
  }
  dropped += Number(
    db.prepare("DELETE FROM resources WHERE last_span < ?").run(minLiveSpan).changes,
  );
  db.prepare(
    "DELETE FROM operation_kinds WHERE op_id IN (SELECT id FROM operations WHERE last_span < ?)",
  ).run(minLiveSpan);
  for (const table of ["operations", "scopes", "services"]) {
    dropped += Number(
      db.prepare(`DELETE FROM ${table} WHERE last_span < ?`).run(minLiveSpan).changes,
    );
  }
  return dropped > 0;
}

export interface SizeTrim {
  /** Spans deleted, and the chunks that held them. */
  deleted: number;
  chunks: number;
  metadataDropped: boolean;
}

/**
 * Deletes the oldest chunks (by arrival) while the pages exceed their budget, aiming 2% under it,
 * but never a chunk with id >= `protectFrom` (the group just acknowledged). Each round is one
 * transaction; `chunkCount` estimates how many chunks a byte is worth; `maxRows` bounds the
 * chunks deleted.
 */
export function trimToSize(
  db: DatabaseSync,
  path: string,
  maxBytes: number,
  protectFrom: number,
  chunkCount: number,
  maxRows = Number.POSITIVE_INFINITY,
): SizeTrim {
  const out: SizeTrim = { deleted: 0, chunks: 0, metadataDropped: false };
  for (let round = 0; round < 8 && out.chunks < maxRows; round++) {
    const budget = pageBudget(path, maxBytes);
    const used = livePageBytes(db);
    if (used <= budget) break;
    const minId = num(db, "SELECT coalesce(min(id), 0) FROM chunks");
    const live = chunkCount - out.chunks;
    if (live <= 0 || minId >= protectFrom) break;
    const want = Math.ceil((live * (used - budget * 0.98)) / used);
    const upto = Math.min(minId + Math.max(1, Math.min(want, maxRows - out.chunks)), protectFrom);
    db.exec("BEGIN IMMEDIATE");
    try {
      const rows = db.prepare("DELETE FROM chunks WHERE id < ? RETURNING n").all(upto) as Array<{
        n: number;
      }>;
      out.chunks += rows.length;
      for (const r of rows) out.deleted += r.n;
      if (trimUnreferenced(db, upto)) out.metadataDropped = true;
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  }
  // Free pages are reused by the next inserts; give them back to the file system only when many
  // piled up (the cap was lowered, or age retention removed a lot).
  const pages = num(db, "PRAGMA page_count");
  if (num(db, "PRAGMA freelist_count") > pages / 4) db.exec("PRAGMA incremental_vacuum");
  return out;
}
