// Decodes Jaeger's Thrift wire formats with Apache Thrift's own protocol readers (the `thrift`
// package): the agent's emitBatch messages (compact on UDP 6831, binary on 6832) and the
// collector's bare Batch (binary, HTTP 14268). Field ids follow jaeger-idl's jaeger.thrift and
// agent.thrift; unknown fields are skipped, as Thrift readers do.
import thrift from "thrift";
import { OtlpDecodeError } from "../otlp/decode.ts";
import type {
  JaegerBatchIn,
  JaegerKv,
  JaegerRef,
  JaegerSpanIn,
  JaegerTagValue,
} from "./jaeger-model.ts";

const T = thrift.Thrift.Type;

// biome-ignore lint/suspicious/noExplicitAny: the thrift package's protocol types are loose.
type Protocol = any;

export type ThriftEncoding = "compact" | "binary";

function protocol(enc: ThriftEncoding, buf: Buffer): Protocol {
  const trans = new thrift.TFramedTransport(buf);
  return enc === "compact" ? new thrift.TCompactProtocol(trans) : new thrift.TBinaryProtocol(trans);
}

/**
 * An agent.thrift `emitBatch` message (the payload of one UDP datagram). The port's encoding is
 * the expected one, but the first byte tells them apart (0x82 starts a compact message, 0x80 a
 * strict binary one), and senders do mix them up: jaeger-client for Node sends binary only, so
 * a user who points it at 6831 is served rather than silently dropped.
 */
export function decodeAgentMessage(enc: ThriftEncoding, buf: Buffer): JaegerBatchIn {
  const actual: ThriftEncoding = buf[0] === 0x82 ? "compact" : buf[0] === 0x80 ? "binary" : enc;
  return guarded(() => {
    const p = protocol(actual, buf);
    const m = p.readMessageBegin();
    if (m.fname !== "emitBatch") {
      throw new OtlpDecodeError(
        `unsupported Jaeger agent call "${String(m.fname).slice(0, 40)}": only emitBatch`,
      );
    }
    let batch: JaegerBatchIn | null = null;
    struct(p, (id, type) => {
      if (id === 1 && type === T.STRUCT) batch = readBatch(p);
      else return false;
      return true;
    });
    if (!batch) throw new OtlpDecodeError("emitBatch without a batch");
    return batch;
  });
}

/** A jaeger.thrift Batch on its own (the collector's HTTP body), binary protocol. */
export function decodeBatch(enc: ThriftEncoding, buf: Buffer): JaegerBatchIn {
  return guarded(() => readBatch(protocol(enc, buf)));
}

function guarded<R>(fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OtlpDecodeError) throw e;
    throw new OtlpDecodeError(`not a Jaeger Thrift batch: ${(e as Error).message ?? e}`);
  }
}

/** Reads a struct's fields; `field` returns false for fields it does not take (then skipped). */
function struct(p: Protocol, field: (id: number, type: number) => boolean): void {
  p.readStructBegin();
  for (;;) {
    const f = p.readFieldBegin();
    if (f.ftype === T.STOP) break;
    if (!field(f.fid, f.ftype)) p.skip(f.ftype);
    p.readFieldEnd();
  }
  p.readStructEnd();
}

function list<V>(p: Protocol, elem: number, read: () => V): V[] {
  const l = p.readListBegin();
  const out: V[] = [];
  if (l.etype !== elem) {
    for (let i = 0; i < l.size; i++) p.skip(l.etype);
  } else {
    for (let i = 0; i < l.size; i++) out.push(read());
  }
  p.readListEnd();
  return out;
}

/** An i64 as its 8 big-endian bytes (ids) and as a signed bigint (times). */
function i64Bytes(p: Protocol): Buffer {
  const v = p.readI64();
  const b: Buffer = v.buffer
    ? Buffer.from(v.buffer.subarray(v.offset ?? 0, (v.offset ?? 0) + 8))
    : Buffer.alloc(8);
  return b;
}
const i64 = (p: Protocol): bigint => i64Bytes(p).readBigInt64BE(0);

function readBatch(p: Protocol): JaegerBatchIn {
  const b: JaegerBatchIn = { serviceName: "", processTags: [], spans: [] };
  struct(p, (id, type) => {
    if (id === 1 && type === T.STRUCT) {
      struct(p, (pid, ptype) => {
        if (pid === 1 && ptype === T.STRING) b.serviceName = p.readString();
        else if (pid === 2 && ptype === T.LIST) b.processTags = list(p, T.STRUCT, () => readTag(p));
        else return false;
        return true;
      });
    } else if (id === 2 && type === T.LIST) b.spans = list(p, T.STRUCT, () => readSpan(p));
    else return false;
    return true;
  });
  return b;
}

function readSpan(p: Protocol): JaegerSpanIn {
  let low: Buffer = Buffer.alloc(8);
  let high: Buffer = Buffer.alloc(8);
  const s: JaegerSpanIn = {
    traceId: Buffer.alloc(16),
    spanId: Buffer.alloc(8),
    parentSpanId: null,
    operationName: "",
    references: [],
    flags: 0,
    startUs: 0n,
    durationUs: 0n,
    tags: [],
    logs: [],
  };
  struct(p, (id, type) => {
    if (id === 1 && type === T.I64) low = i64Bytes(p);
    else if (id === 2 && type === T.I64) high = i64Bytes(p);
    else if (id === 3 && type === T.I64) s.spanId = i64Bytes(p);
    else if (id === 4 && type === T.I64) s.parentSpanId = i64Bytes(p);
    else if (id === 5 && type === T.STRING) s.operationName = p.readString();
    else if (id === 6 && type === T.LIST) s.references = list(p, T.STRUCT, () => readRef(p));
    else if (id === 7 && type === T.I32) s.flags = p.readI32();
    else if (id === 8 && type === T.I64) s.startUs = i64(p);
    else if (id === 9 && type === T.I64) s.durationUs = i64(p);
    else if (id === 10 && type === T.LIST) s.tags = list(p, T.STRUCT, () => readTag(p));
    else if (id === 11 && type === T.LIST) s.logs = list(p, T.STRUCT, () => readLog(p));
    else return false;
    return true;
  });
  s.traceId = Buffer.concat([high, low]);
  return s;
}

function readRef(p: Protocol): JaegerRef {
  let low: Buffer = Buffer.alloc(8);
  let high: Buffer = Buffer.alloc(8);
  const r: JaegerRef = { type: "CHILD_OF", traceId: Buffer.alloc(16), spanId: Buffer.alloc(8) };
  struct(p, (id, type) => {
    if (id === 1 && type === T.I32) r.type = p.readI32() === 1 ? "FOLLOWS_FROM" : "CHILD_OF";
    else if (id === 2 && type === T.I64) low = i64Bytes(p);
    else if (id === 3 && type === T.I64) high = i64Bytes(p);
    else if (id === 4 && type === T.I64) r.spanId = i64Bytes(p);
    else return false;
    return true;
  });
  r.traceId = Buffer.concat([high, low]);
  return r;
}

function readLog(p: Protocol): { timestampUs: bigint; fields: JaegerKv[] } {
  const l = { timestampUs: 0n, fields: [] as JaegerKv[] };
  struct(p, (id, type) => {
    if (id === 1 && type === T.I64) l.timestampUs = i64(p);
    else if (id === 2 && type === T.LIST) l.fields = list(p, T.STRUCT, () => readTag(p));
    else return false;
    return true;
  });
  return l;
}

function readTag(p: Protocol): JaegerKv {
  let key = "";
  let vType = 0;
  const v: { str?: string; dbl?: number; bool?: boolean; long?: bigint; bin?: Buffer } = {};
  struct(p, (id, type) => {
    if (id === 1 && type === T.STRING) key = p.readString();
    else if (id === 2 && type === T.I32) vType = p.readI32();
    else if (id === 3 && type === T.STRING) v.str = p.readString();
    else if (id === 4 && type === T.DOUBLE) v.dbl = p.readDouble();
    else if (id === 5 && type === T.BOOL) v.bool = p.readBool();
    else if (id === 6 && type === T.I64) v.long = i64(p);
    else if (id === 7 && type === T.STRING) v.bin = Buffer.from(p.readBinary());
    else return false;
    return true;
  });
  let value: JaegerTagValue;
  if (vType === 1) value = { type: "double", v: v.dbl ?? 0 };
  else if (vType === 2) value = { type: "bool", v: v.bool ?? false };
  else if (vType === 3) value = { type: "long", v: v.long ?? 0n };
  else if (vType === 4) value = { type: "binary", v: v.bin ?? Buffer.alloc(0) };
  else value = { type: "string", v: v.str ?? "" };
  return { key, value };
}
