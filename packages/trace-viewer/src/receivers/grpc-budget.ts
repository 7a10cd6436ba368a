// One cap on the gRPC message bytes held at once, across every stream and connection of both
// gRPC receivers (OTLP and Jaeger). grpc-js has no global limit, so the receivers count what
// their handlers hold until the writer committed it and refuse more with RESOURCE_EXHAUSTED,
// which gRPC exporters retry with backoff. What is still arriving is bounded per connection
// by the per-message cap times the streams allowed per connection.
import type { IngestResult, IngestSink } from "./ingest.ts";
import type { WireFormat } from "./wire.ts";

/** Default cap on gRPC message bytes held at once (16 messages of the default 4 MiB). */
export const DEFAULT_GRPC_MAX_IN_FLIGHT = 64 * 1024 * 1024;

export class GrpcBudgetError extends Error {
  readonly code = "PERISCOPE_VIEWER_GRPC_BUSY";
}

/** A sink that refuses a message while `maxBytes` of earlier ones are not yet committed. */
export class InFlightLimit implements IngestSink {
  readonly maxBytes: number;
  #sink: IngestSink;
  #held = 0;

  constructor(sink: IngestSink, maxBytes: number) {
    this.#sink = sink;
    this.maxBytes = maxBytes;
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held;
  }

  async submit(format: WireFormat, body: Uint8Array): Promise<IngestResult> {
    const n = body.byteLength;
    // One message alone is always let through (the per-message cap bounds it).
    if (this.#held > 0 && this.#held + n > this.maxBytes) {
      throw new GrpcBudgetError(
        `PERISCOPE_VIEWER_GRPC_BUSY: ${this.#held} bytes of gRPC messages are waiting to be stored (cap ${this.maxBytes}, --grpc-max-in-flight); retry later`,
      );
    }
    this.#held += n;
    try {
      return await this.#sink.submit(format, body);
    } finally {
      this.#held -= n;
    }
  }
}
