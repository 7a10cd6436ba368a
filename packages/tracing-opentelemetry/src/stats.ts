// Counts what happens to spans after they end: queued, exported, dropped (queue full) or failed
// (the collector refused or was down). Fed by the SDK's own self-observability counter.
import {
  type Attributes,
  type Counter,
  createNoopMeter,
  type Meter,
  type MeterProvider,
  type Context as OtelContext,
  TraceFlags,
} from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace";

/** A snapshot of the export pipeline. */
export interface ExportStats {
  /** Sampled spans that ended and went to the batch processor. */
  ended: number;
  /** Spans the exporter delivered. */
  exported: number;
  /** Spans dropped because the queue was full (the exporter could not keep up, or is down). */
  dropped: number;
  /** Spans in batches the exporter failed to deliver (collector down, refused, timed out). */
  failed: number;
  /** Spans waiting in the queue or in an export in flight. */
  pending: number;
}

/** The SDK counter (semantic conventions) that the batch processor reports each outcome to. */
const PROCESSED = "otel.sdk.processor.span.processed";

export class ExportCounter {
  ended = 0;
  exported = 0;
  dropped = 0;
  failed = 0;
  /** Set at shutdown: the batch processor takes no more spans, so neither do the counts. */
  stopped = false;

  snapshot(): ExportStats {
    const { ended, exported, dropped, failed } = this;
    return {
      ended,
      exported,
      dropped,
      failed,
      pending: Math.max(0, ended - exported - dropped - failed),
    };
  }

  /** A MeterProvider for the batch processor's `selfObsMeterProvider` option. */
  meterProvider(): MeterProvider {
    const noop = createNoopMeter();
    const counts = this;
    const processed: Counter = {
      add(value: number, attributes?: Attributes): void {
        const err = attributes?.["error.type"];
        if (err === undefined) counts.exported += value;
        else if (err === "queue_full") counts.dropped += value;
        else counts.failed += value;
      },
    };
    const meter: Meter = Object.create(noop, {
      createCounter: {
        value: (name: string, options?: Parameters<Meter["createCounter"]>[1]): Counter =>
          name === PROCESSED ? processed : noop.createCounter(name, options),
      },
    }) as Meter;
    return { getMeter: () => meter };
  }

  /** A processor placed before the batch processor, to count what enters it. */
  processor(): SpanProcessor {
    const counts = this;
    return {
      onStart(_span: Span, _ctx: OtelContext): void {},
      onEnd(span: ReadableSpan): void {
        if (!counts.stopped && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0)
          counts.ended++;
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }
}
