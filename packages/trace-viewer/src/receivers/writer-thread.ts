// The writer thread of a file store: owns the store's only read-write connection, decodes the
// bodies the receivers hand over and commits them in groups, so neither decoding nor a commit
// (nor a WAL checkpoint, nor retention) ever holds the main thread that serves HTTP. Each body is
// answered only after its commit, as on the main thread.
import { parentPort, workerData } from "node:worker_threads";
import { OtlpDecodeError } from "../otlp/decode.ts";
import { type StoreOptions, TraceStore } from "../store/store.ts";
import { directSink } from "./ingest.ts";
import type { WireFormat } from "./wire.ts";

export type ToWriter =
  | { type: "submit"; id: number; format: WireFormat; body: Uint8Array }
  | { type: "close" };

export type FromWriter =
  | { type: "ready" }
  | { type: "error"; message: string }
  | { type: "done"; id: number; accepted: number; rejected: number; errorMessage: string }
  | { type: "fail"; id: number; decode: boolean; message: string };

const port = parentPort!;
const post = (m: FromWriter) => port.postMessage(m);
let store: TraceStore;
try {
  store = new TraceStore({ ...(workerData as StoreOptions), readConnection: false });
} catch (e) {
  post({ type: "error", message: (e as Error).message });
  process.exit(1);
}
const sink = directSink(store);
post({ type: "ready" });

port.on("message", (m: ToWriter) => {
  if (m.type === "close") {
    // Everything received before the close message is committed first (and answered).
    sink.drain();
    store.close();
    port.close();
    return;
  }
  sink.submit(m.format, m.body).then(
    (r) => post({ type: "done", id: m.id, ...r }),
    (e: unknown) =>
      post({
        type: "fail",
        id: m.id,
        decode: e instanceof OtlpDecodeError,
        message: (e as Error).message ?? String(e),
      }),
  );
});
