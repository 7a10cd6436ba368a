// Decodes jaeger.api_v2 PostSpansRequest messages (the collector's gRPC port) with protobufjs,
// from a descriptor with jaeger-idl's api_v2 field numbers (model.proto, collector.proto). A
// span's own process wins over the batch's, as in Jaeger.
import protobuf from "protobufjs";
import { OtlpDecodeError } from "../otlp/decode.ts";
import type { JaegerBatchIn, JaegerKv } from "./jaeger-model.ts";

const kv = {
  fields: {
    key: { type: "string", id: 1 },
    vType: { type: "int32", id: 2 },
    vStr: { type: "string", id: 3 },
    vBool: { type: "bool", id: 4 },
    vInt64: { type: "int64", id: 5 },
    vFloat64: { type: "double", id: 6 },
    vBinary: { type: "bytes", id: 7 },
  },
};
const time = { fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } } };
const root = protobuf.Root.fromJSON({
  nested: {
    KeyValue: kv,
    Time: time,
    Log: {
      fields: {
        timestamp: { type: "Time", id: 1 },
        fields: { rule: "repeated", type: "KeyValue", id: 2 },
      },
    },
    SpanRef: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        refType: { type: "int32", id: 3 },
      },
    },
    Process: {
      fields: {
        serviceName: { type: "string", id: 1 },
        tags: { rule: "repeated", type: "KeyValue", id: 2 },
      },
    },
    Span: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        operationName: { type: "string", id: 3 },
        references: { rule: "repeated", type: "SpanRef", id: 4 },
        flags: { type: "uint32", id: 5 },
        startTime: { type: "Time", id: 6 },
        duration: { type: "Time", id: 7 },
        tags: { rule: "repeated", type: "KeyValue", id: 8 },
        logs: { rule: "repeated", type: "Log", id: 9 },
        process: { type: "Process", id: 10 },
      },
    },
    Batch: {
      fields: {
        spans: { rule: "repeated", type: "Span", id: 1 },
        process: { type: "Process", id: 2 },
      },
    },
    PostSpansRequest: { fields: { batch: { type: "Batch", id: 1 } } },
  },
});
const PostSpansRequest = root.lookupType("PostSpansRequest");

// biome-ignore lint/suspicious/noExplicitAny: protobufjs messages are untyped here.
type Any = any;

const big = (v: Any): bigint => (v == null ? 0n : BigInt(v.toString()));
const micros = (t: Any): bigint =>
  t ? big(t.seconds) * 1_000_000n + BigInt(Math.floor((t.nanos ?? 0) / 1000)) : 0n;
const id = (b: Uint8Array | undefined, n: number) =>
  Buffer.from(b ?? []).length === n ? Buffer.from(b!) : Buffer.alloc(n);

function tags(list: Any[] | undefined): JaegerKv[] {
  return (list ?? []).map((t: Any): JaegerKv => {
    const key = t.key ?? "";
    switch (t.vType) {
      case 1:
        return { key, value: { type: "bool", v: !!t.vBool } };
      case 2:
        return { key, value: { type: "long", v: big(t.vInt64) } };
      case 3:
        return { key, value: { type: "double", v: t.vFloat64 ?? 0 } };
      case 4:
        return { key, value: { type: "binary", v: Buffer.from(t.vBinary ?? []) } };
      default:
        return { key, value: { type: "string", v: t.vStr ?? "" } };
    }
  });
}

/** A PostSpansRequest as Jaeger batches, one per distinct process. */
export function decodePostSpans(body: Uint8Array): JaegerBatchIn[] {
  let msg: Any;
  try {
    msg = PostSpansRequest.decode(body);
  } catch (e) {
    throw new OtlpDecodeError(`not a jaeger.api_v2 PostSpansRequest: ${(e as Error).message}`);
  }
  const batches = new Map<Any, JaegerBatchIn>();
  const batchProcess = msg.batch?.process;
  for (const s of msg.batch?.spans ?? []) {
    const proc = s.process ?? batchProcess;
    let b = batches.get(proc);
    if (!b) {
      b = { serviceName: proc?.serviceName ?? "", processTags: tags(proc?.tags), spans: [] };
      batches.set(proc, b);
    }
    b.spans.push({
      traceId: id(s.traceId, 16),
      spanId: id(s.spanId, 8),
      parentSpanId: null,
      operationName: s.operationName ?? "",
      references: (s.references ?? []).map((r: Any) => ({
        type: r.refType === 1 ? "FOLLOWS_FROM" : "CHILD_OF",
        traceId: id(r.traceId, 16),
        spanId: id(r.spanId, 8),
      })),
      flags: s.flags ?? 0,
      startUs: micros(s.startTime),
      durationUs: micros(s.duration),
      tags: tags(s.tags),
      logs: (s.logs ?? []).map((l: Any) => ({
        timestampUs: micros(l.timestamp),
        fields: tags(l.fields),
      })),
    });
  }
  return [...batches.values()];
}
