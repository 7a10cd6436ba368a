// The path from an accepted request body to committed rows: decode, then one store transaction.
// Both receivers go through here, so HTTP and gRPC accept and reject the same spans. Requests
// that arrive together are committed together (group commit), and each is answered only after
// that commit, so an acknowledged batch is always on disk.
import type { DecodedExport } from "../model.ts";
import { decodeProtobuf, OtlpDecodeError } from "../otlp/decode.ts";
import { decodeJson } from "../otlp/json-decode.ts";
import type { TraceStore } from "../store/store.ts";

export interface IngestResult {
  accepted: number;
  rejected: number;
  errorMessage: string;
}

export type IngestFormat = "protobuf" | "json";

export interface IngestSink {
  /** Resolves once the batch is committed; rejects with OtlpDecodeError for a malformed body. */
  submit(format: IngestFormat, body: Uint8Array): Promise<IngestResult>;
  /** Stores spans another protocol's receiver decoded (Jaeger, Zipkin); resolves once committed. */
  submitDecoded(decoded: DecodedExport): Promise<IngestResult>;
}

interface Pending {
  decoded: DecodedExport;
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

/** Most requests one transaction takes; bounds how long a commit holds the thread. */
const MAX_GROUP = 16;

export function decodeBody(format: IngestFormat, body: Uint8Array): DecodedExport {
  try {
    return decodeUnchecked(format, body);
  } catch (e) {
    // Whatever a body makes the decoder throw (a stack overflow on absurd nesting, say) is the
    // body's fault: answer 400, which exporters do not retry, never 503.
    if (e instanceof OtlpDecodeError) throw e;
    throw new OtlpDecodeError(`body could not be decoded: ${(e as Error).message}`);
  }
}

function decodeUnchecked(format: IngestFormat, body: Uint8Array): DecodedExport {
  if (format === "protobuf") return decodeProtobuf(body);
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch (e) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(e as Error).message}`);
  }
  return decodeJson(obj);
}

/** Decodes and stores on the calling thread. */
export function directSink(store: TraceStore): IngestSink {
  const queue: Pending[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const group = queue.splice(0, MAX_GROUP);
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
  const submitDecoded = (decoded: DecodedExport): Promise<IngestResult> => {
    if (decoded.accepted === 0) {
      return Promise.resolve({
        accepted: 0,
        rejected: decoded.rejected,
        errorMessage: decoded.errorMessage,
      });
    }
    return new Promise((resolve, reject) => {
      queue.push({ decoded, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        // setImmediate runs after pending I/O callbacks, so bodies that finished arriving in
        // the same loop turn join this transaction.
        setImmediate(flush);
      }
    });
  };
  return {
    submit(format, body) {
      let decoded: DecodedExport;
      try {
        decoded = decodeBody(format, body);
      } catch (e) {
        return Promise.reject(e);
      }
      return submitDecoded(decoded);
    },
    submitDecoded,
  };
}
