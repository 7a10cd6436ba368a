// The path from an accepted request body to committed rows: decode, then one store transaction.
// Every receiver goes through here, so all protocols accept and reject spans alike. Requests
// that arrive together are committed together (group commit), and each is answered only after
// that commit, so an acknowledged batch is always on disk. With a file store this runs on the
// writer thread (writer-sink.ts); in memory, on the main thread.
import type { DecodedExport } from "../model.ts";
import type { TraceStore } from "../store/store.ts";
import { decodeWire, type WireFormat } from "./wire.ts";

export interface IngestResult {
  accepted: number;
  rejected: number;
  errorMessage: string;
}

export interface IngestSink {
  /** Resolves once the batch is committed; rejects with OtlpDecodeError for a malformed body. */
  submit(format: WireFormat, body: Uint8Array): Promise<IngestResult>;
}

interface Pending {
  decoded: DecodedExport;
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

/** Most requests one transaction takes. */
const MAX_GROUP = 16;

/**
 * Most spans one transaction takes (a single larger request still goes whole): a commit holds
 * its thread, and (in memory, where that is the main thread) every other request waits for it.
 */
const MAX_GROUP_SPANS = 2000;

/** Decodes and stores on the calling thread; drain() commits what is still queued (at close). */
export function directSink(store: TraceStore): IngestSink & { drain(): void } {
  const queue: Pending[] = [];
  let queuedSpans = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    let n = 1;
    let spans = queue[0]?.decoded.accepted ?? 0;
    while (
      n < queue.length &&
      n < MAX_GROUP &&
      spans + queue[n]!.decoded.accepted <= MAX_GROUP_SPANS
    ) {
      spans += queue[n]!.decoded.accepted;
      n++;
    }
    const group = queue.splice(0, n);
    queuedSpans -= spans;
    if (queue.length > 0) {
      scheduled = true;
      setImmediate(flush);
    }
    try {
      store.ingestMany(group.map((p) => p.decoded.resources));
    } catch (e) {
      for (const p of group) p.reject(e);
      return;
    }
    for (const p of group) {
      const d = p.decoded;
      p.resolve({ accepted: d.accepted, rejected: d.rejected, errorMessage: d.errorMessage });
    }
  };
  return {
    drain() {
      while (queue.length > 0) flush();
    },
    submit(format, body) {
      let decoded: DecodedExport;
      try {
        decoded = decodeWire(format, body);
      } catch (e) {
        return Promise.reject(e);
      }
      if (decoded.accepted === 0) {
        return Promise.resolve({
          accepted: 0,
          rejected: decoded.rejected,
          errorMessage: decoded.errorMessage,
        });
      }
      return new Promise((resolve, reject) => {
        queue.push({ decoded, resolve, reject });
        queuedSpans += decoded.accepted;
        if (queuedSpans >= MAX_GROUP_SPANS) {
          // A full group commits now: a burst of queued messages (the writer thread receives
          // them all in one turn) must not be decoded whole before anything is committed.
          flush();
        } else if (!scheduled) {
          scheduled = true;
          // setImmediate runs after pending I/O callbacks, so bodies that finished arriving in
          // the same loop turn join this transaction.
          setImmediate(flush);
        }
      });
    },
  };
}
