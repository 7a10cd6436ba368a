// The path from an accepted request body to committed rows: decode, then one store transaction.
// Both receivers go through here, so HTTP and gRPC accept and reject the same spans.
import { decodeJson, decodeProtobuf, OtlpDecodeError } from "./otlp-decode.ts";
import type { TraceStore } from "./store.ts";

export interface IngestResult {
  accepted: number;
  rejected: number;
  errorMessage: string;
}

export type IngestFormat = "protobuf" | "json";

export interface IngestSink {
  /** Resolves once the batch is committed; rejects with OtlpDecodeError for a malformed body. */
  submit(format: IngestFormat, body: Uint8Array): Promise<IngestResult>;
}

/** Decodes and stores on the calling thread. */
export function directSink(store: TraceStore, onSpans?: (n: number) => void): IngestSink {
  return {
    async submit(format, body) {
      let decoded: ReturnType<typeof decodeProtobuf>;
      if (format === "protobuf") decoded = decodeProtobuf(body);
      else {
        let obj: unknown;
        try {
          obj = JSON.parse(
            Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"),
          );
        } catch (e) {
          throw new OtlpDecodeError(`body is not valid JSON: ${(e as Error).message}`);
        }
        decoded = decodeJson(obj);
      }
      const stored = decoded.accepted > 0 ? store.ingest(decoded.resources) : 0;
      onSpans?.(stored);
      return { accepted: stored, rejected: decoded.rejected, errorMessage: decoded.errorMessage };
    },
  };
}
