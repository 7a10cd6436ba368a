// Runs API requests so that none stalls ingest or another request: cheap metadata lookups on
// the main thread; everything that may read many spans in a pool of worker threads, each with
// its own read-only connection (file stores), streamed chunk by chunk with backpressure and cut
// off after a time limit. An in-memory store cannot be shared with a thread, so there the same
// streamed answers run on the main thread, yielding to ingest between chunks.
import type { ServerResponse } from "node:http";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { StoreReader } from "../store/read.ts";
import type { Answer, QueryLimits } from "./answer.ts";
import { handleQuery, isCheapQuery, jaegerError } from "./api.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./worker.ts";

export interface QueryServerOptions {
  /** The store file, or null for an in-memory store (answers then run on the main thread). */
  path: string | null;
  /** The main thread's read-only reader (cheap queries; everything in memory). */
  reader: StoreReader;
  clock: () => number;
  limits: QueryLimits;
  /** Worker threads for heavy queries. */
  workers: number;
  /** A heavy query still running after this long is stopped (its worker is replaced). */
  timeoutMs: number;
}

interface Job {
  id: number;
  url: URL;
  now: number;
  head: boolean;
  res: ServerResponse;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/** Requests waiting for a worker before new ones are turned away with 503. */
const MAX_QUEUE = 64;

const HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

const ext = extname(fileURLToPath(import.meta.url));

/**
 * Old-generation heap of one query thread (MB). One request's heap is bounded by the span
 * budget (--query-max-spans; a 200,000-span answer runs in a 64 MB old space); this cap makes
 * the bound hard: a query needing more ends its thread (500) and the viewer carries on.
 */
export const QUERY_HEAP_MB = 256;

export class QueryServer {
  #o: QueryServerOptions;
  /** Largest used heap a query thread reported over one answer (bytes). */
  heapPeakBytes = 0;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: QueryServerOptions) {
    this.#o = opts;
  }

  handle(url: URL, head: boolean, res: ServerResponse): void {
    const ctx = { reader: this.#o.reader, clock: this.#o.clock, limits: this.#o.limits };
    if (this.#o.path === null || isCheapQuery(url.pathname)) {
      void writeAnswer(res, handleQuery(url, ctx), head);
      return;
    }
    if (this.#queue.length >= MAX_QUEUE) {
      void writeAnswer(
        res,
        jaegerError(503, "PERISCOPE_VIEWER_BUSY: too many queries are waiting; retry shortly"),
        head,
      );
      return;
    }
    const job: Job = { id: this.#nextId++, url, now: this.#o.clock(), head, res };
    res.on("close", () => {
      const i = this.#queue.indexOf(job);
      if (i >= 0) this.#queue.splice(i, 1);
      const slot = this.#slots.find((s) => s.job === job);
      if (slot && !res.writableFinished) slot.worker.postMessage({ type: "cancel", id: job.id });
    });
    this.#queue.push(job);
    this.#dispatch();
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let slot = this.#slots.find((s) => s.job === null);
      if (!slot && this.#slots.length < this.#o.workers) slot = this.#spawn();
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.timer = setTimeout(() => this.#timeout(slot), this.#o.timeoutMs);
      const msg: ToWorker = {
        type: "query",
        id: job.id,
        url: job.url.href,
        now: job.now,
        head: job.head,
      };
      slot.worker.postMessage(msg);
    }
  }

  #spawn(): Slot {
    const init: WorkerInit = { path: this.#o.path!, limits: this.#o.limits };
    const worker = new Worker(new URL(`./worker${ext}`, import.meta.url), {
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: QUERY_HEAP_MB },
      // Flags for the main script only (the viewer started with `node --input-type=module -e`)
      // would stop the worker from loading.
      ...(process.execArgv.some((a) => a.startsWith("--input-type"))
        ? { execArgv: process.execArgv.filter((a) => !a.startsWith("--input-type")) }
        : {}),
    });
    worker.unref();
    const slot: Slot = { worker, job: null, timer: null };
    worker.on("message", (m: FromWorker) => this.#onMessage(slot, m));
    worker.on("error", (e) => {
      process.stderr.write(`periscope viewer: query worker failed: ${e.stack ?? e}\n`);
    });
    worker.on("exit", () => {
      const job = slot.job;
      this.#retire(slot);
      if (job)
        abort(job.res, 500, "internal error while reading the store; see the viewer's output");
      this.#dispatch();
    });
    this.#slots.push(slot);
    return slot;
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    const res = job.res;
    if (m.type === "head") {
      if (!res.headersSent && !res.destroyed) res.writeHead(m.status, HEADERS);
    } else if (m.type === "chunk") {
      const ack = () => slot.worker.postMessage({ type: "ack", id: m.id } satisfies ToWorker);
      if (res.destroyed) return;
      if (res.write(m.data)) ack();
      else res.once("drain", ack);
    } else {
      if (m.type === "fail") res.destroy();
      else {
        this.heapPeakBytes = Math.max(this.heapPeakBytes, m.heapBytes);
        res.end();
      }
      this.#release(slot);
    }
  }

  #release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    this.#dispatch();
  }

  #retire(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
  }

  #timeout(slot: Slot): void {
    const job = slot.job;
    slot.job = null;
    this.#retire(slot);
    // A synchronous SQLite step cannot be interrupted from outside: the thread goes.
    void slot.worker.terminate();
    if (job) {
      abort(
        job.res,
        503,
        `PERISCOPE_VIEWER_QUERY_TIMEOUT: the query ran longer than ${this.#o.timeoutMs / 1000} s and was stopped; narrow it (shorter lookback, a service or operation, fewer traces)`,
      );
    }
    this.#dispatch();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

function abort(res: ServerResponse, status: number, msg: string): void {
  if (res.headersSent) res.destroy();
  else void writeAnswer(res, jaegerError(status, msg), false);
}

/**
 * Writes an answer: one piece with its length, or many as a chunked stream that waits for the
 * socket to drain and lets other work run between chunks.
 */
export async function writeAnswer(res: ServerResponse, a: Answer, head: boolean): Promise<void> {
  if (Array.isArray(a.body) && a.body.length === 1) {
    const text = a.body[0] as string;
    res.writeHead(a.status, { ...HEADERS, "content-length": Buffer.byteLength(text) });
    res.end(head ? undefined : text);
    return;
  }
  res.writeHead(a.status, HEADERS);
  if (head) return void res.end();
  try {
    for (const chunk of a.body) {
      if (res.destroyed) return;
      if (!res.write(chunk))
        await new Promise<void>((r) => {
          // Whichever comes first removes the other: a long answer waits many times.
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            r();
          };
          res.once("drain", done);
          res.once("close", done);
        });
      else await new Promise((r) => setImmediate(r));
    }
    res.end();
  } catch (e) {
    process.stderr.write(`periscope viewer: query failed: ${(e as Error).stack ?? e}\n`);
    res.destroy();
  }
}
