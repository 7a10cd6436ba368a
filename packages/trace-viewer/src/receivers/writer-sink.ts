// The main thread's side of the writer thread (writer-thread.ts): an IngestSink whose submit()
// posts the raw body across and resolves when the writer reports the commit. If the thread
// stops, pending and later batches fail with a store error (503, retryable), never silently.
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { OtlpDecodeError } from "../otlp/decode.ts";
import type { StoreOptions } from "../store/store.ts";
import type { IngestResult, IngestSink } from "./ingest.ts";
import type { FromWriter, ToWriter } from "./writer-thread.ts";

const ext = extname(fileURLToPath(import.meta.url));

export interface WriterThread {
  sink: IngestSink;
  close(): Promise<void>;
}

export function startWriterThread(opts: Omit<StoreOptions, "clock">): Promise<WriterThread> {
  const worker = new Worker(new URL(`./writer-thread${ext}`, import.meta.url), {
    workerData: opts,
    // Flags for the main script only (a viewer started with `node --input-type=module -e`)
    // would stop the thread from loading.
    ...(process.execArgv.some((a) => a.startsWith("--input-type"))
      ? { execArgv: process.execArgv.filter((a) => !a.startsWith("--input-type")) }
      : {}),
  });
  const pending = new Map<
    number,
    { resolve: (r: IngestResult) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  let stopped: Error | null = null;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    worker.once("exit", (code) => {
      exited = true;
      stopped ??= new Error(`the writer thread stopped (exit code ${code})`);
      for (const p of pending.values()) p.reject(stopped);
      pending.clear();
      resolve();
    }),
  );
  worker.on("error", (e) => {
    stopped = e;
    process.stderr.write(`periscope viewer: the writer thread failed: ${e.stack ?? e}\n`);
  });
  return new Promise((resolve, reject) => {
    worker.on("message", (m: FromWriter) => {
      if (m.type === "ready") {
        resolve({
          sink: {
            submit(format, body) {
              if (stopped) return Promise.reject(stopped);
              const id = nextId++;
              return new Promise<IngestResult>((res, rej) => {
                pending.set(id, { resolve: res, reject: rej });
                worker.postMessage({ type: "submit", id, format, body } satisfies ToWriter);
              });
            },
          },
          close: async () => {
            if (exited) return;
            worker.postMessage({ type: "close" } satisfies ToWriter);
            const t = setTimeout(() => void worker.terminate(), 5000);
            await exit;
            clearTimeout(t);
          },
        });
      } else if (m.type === "error") {
        stopped = new Error(m.message);
        reject(stopped);
      } else {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.type === "done")
          p.resolve({ accepted: m.accepted, rejected: m.rejected, errorMessage: m.errorMessage });
        else p.reject(m.decode ? new OtlpDecodeError(m.message) : new Error(m.message));
      }
    });
    exit.then(() => reject(stopped ?? new Error("the writer thread stopped")));
  });
}
