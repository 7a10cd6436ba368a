// A query worker thread: its own read-only node:sqlite connection to the store file, answering
// one API request at a time for the main thread, one chunk per acknowledgement (backpressure:
// a slow client slows this worker, never the heap). Reads here never block ingest.
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { DatabaseSync } from "node:sqlite";
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { StoreReader } from "../store/read.ts";
import type { QueryLimits } from "./answer.ts";
import { handleQuery } from "./api.ts";

export interface WorkerInit {
  path: string;
  limits: QueryLimits;
}

export type ToWorker =
  | { type: "query"; id: number; url: string; now: number; head: boolean }
  | { type: "ack"; id: number }
  | { type: "cancel"; id: number };

export type FromWorker =
  | { type: "head"; id: number; status: number; single: boolean }
  | { type: "chunk"; id: number; data: string }
  | { type: "end"; id: number; heapBytes: number }
  | { type: "fail"; id: number; message: string };

const init = workerData as WorkerInit;

// Reads yield the CPU to ingest and to the main thread: on Linux a thread has its own nice
// value, so this thread (found through /proc/thread-self) runs at nice 5, about a third of a
// nice-0 thread's share under contention (nice 10 starved big reads into the query timeout on a
// loaded machine). Elsewhere, or if refused, it runs at the process's priority.
try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (tid > 0) setPriority(tid, Math.max(5, getPriority(tid)));
} catch {}
const db = new DatabaseSync(init.path, { readOnly: true });
db.exec("PRAGMA busy_timeout = 5000");
const reader = new StoreReader(db);
const port = parentPort!;
let current: { id: number; it: Iterator<string>; heap: number } | null = null;

/** Used heap now: sampled after every chunk, its peak is reported with the answer's end (the
 * bench's per-request heap row; the thread's heap is capped by the main thread). */
const usedHeap = () => getHeapStatistics().used_heap_size;

const post = (m: FromWorker) => port.postMessage(m);

function step(): void {
  const c = current;
  if (!c) return;
  try {
    const r = c.it.next();
    c.heap = Math.max(c.heap, usedHeap());
    if (r.done) {
      current = null;
      post({ type: "end", id: c.id, heapBytes: c.heap });
    } else {
      post({ type: "chunk", id: c.id, data: r.value });
    }
  } catch (e) {
    current = null;
    process.stderr.write(`periscope viewer: query failed: ${(e as Error).stack ?? e}\n`);
    post({ type: "fail", id: c.id, message: (e as Error).message });
  }
}

port.on("message", (m: ToWorker) => {
  if (m.type === "query") {
    const a = handleQuery(new URL(m.url), { reader, clock: () => m.now, limits: init.limits });
    post({ type: "head", id: m.id, status: a.status, single: Array.isArray(a.body) });
    if (m.head) {
      post({ type: "end", id: m.id, heapBytes: usedHeap() });
      return;
    }
    current = { id: m.id, it: a.body[Symbol.iterator](), heap: usedHeap() };
    step();
  } else if (m.type === "ack" && current?.id === m.id) {
    step();
  } else if (m.type === "cancel" && current?.id === m.id) {
    current.it.return?.();
    current = null;
    post({ type: "end", id: m.id, heapBytes: usedHeap() });
  }
});
