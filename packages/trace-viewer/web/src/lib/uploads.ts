// Traces a user opened from a file, kept in this browser's IndexedDB (through idb) with where they
// came from, so they survive a reload and are listed on the search page. Nothing is sent to the
// viewer. Where IndexedDB is unavailable (a private window may refuse it) they stay in memory,
// for this tab only, and the page says so.
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { Trace } from "./jaeger.ts";
import { summarize, type TraceSummary } from "./summary.ts";

export interface UploadInfo {
  id: string;
  fileName: string;
  /** ms since the epoch. */
  uploadedAt: number;
  summary: TraceSummary;
}

interface Schema extends DBSchema {
  uploads: { key: string; value: UploadInfo };
  traces: { key: string; value: { id: string; trace: Trace } };
}

const memory = new Map<string, { info: UploadInfo; trace: Trace }>();
let db: Promise<IDBPDatabase<Schema>> | null = null;
/** Why uploads are not kept across reloads, once IndexedDB has failed. */
export let storageProblem: string | null = null;

function open(): Promise<IDBPDatabase<Schema>> {
  db ??= openDB<Schema>("periscope-viewer", 1, {
    upgrade(d) {
      d.createObjectStore("uploads", { keyPath: "id" });
      d.createObjectStore("traces", { keyPath: "id" });
    },
  });
  return db;
}

async function tryDb<T>(f: (d: IDBPDatabase<Schema>) => Promise<T>): Promise<T | undefined> {
  if (storageProblem) return undefined;
  try {
    return await f(await open());
  } catch (e) {
    storageProblem = `this browser did not let the page keep them (${(e as Error).message || "IndexedDB unavailable"}); they last until this tab closes`;
    db = null;
    return undefined;
  }
}

/** Keeps the traces of one uploaded file; returns once they are stored (or kept in memory). */
export async function saveUploads(traces: Trace[], fileName: string, now = Date.now()) {
  const entries = traces.map((trace) => ({
    info: { id: trace.traceID.toLowerCase(), fileName, uploadedAt: now, summary: summarize(trace) },
    trace,
  }));
  for (const e of entries) memory.set(e.info.id, e);
  await tryDb(async (d) => {
    const tx = d.transaction(["uploads", "traces"], "readwrite");
    for (const e of entries) {
      void tx.objectStore("uploads").put(e.info);
      void tx.objectStore("traces").put({ id: e.info.id, trace: e.trace });
    }
    await tx.done;
  });
}

export async function getUpload(id: string): Promise<{ info: UploadInfo; trace: Trace } | null> {
  const key = id.toLowerCase();
  const hit = memory.get(key);
  if (hit) return hit;
  const found = await tryDb(async (d) => {
    const info = await d.get("uploads", key);
    const t = info ? await d.get("traces", key) : undefined;
    return info && t ? { info, trace: t.trace } : null;
  });
  if (found) memory.set(key, found);
  return found ?? null;
}

/** Every kept upload, newest first (summaries only: the traces stay in the database). */
export async function listUploads(): Promise<UploadInfo[]> {
  const stored = (await tryDb((d) => d.getAll("uploads"))) ?? [];
  const all = new Map(stored.map((u) => [u.id, u]));
  for (const [id, e] of memory) if (!all.has(id)) all.set(id, e.info);
  return [...all.values()].sort((a, b) => b.uploadedAt - a.uploadedAt);
}

export async function deleteUpload(id: string): Promise<void> {
  memory.delete(id);
  await tryDb(async (d) => {
    const tx = d.transaction(["uploads", "traces"], "readwrite");
    void tx.objectStore("uploads").delete(id);
    void tx.objectStore("traces").delete(id);
    await tx.done;
  });
}
