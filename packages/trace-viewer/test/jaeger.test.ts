// Jaeger ingest, fed by real senders: jaeger-client over UDP (Thrift binary, its default port
// 6832) and over HTTP (the collector's Thrift binary), datagrams and batches written by Apache
// Thrift's own compact and binary protocol writers, api_v2 gRPC; malformed input is answered
// 400 (or counted, for UDP) and stored nowhere.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { createRequire } from "node:module";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import thrift from "thrift";
import { getJson, protocolsOn, tag, testViewer, waitForTrace } from "./helpers.ts";

const require = createRequire(import.meta.url);
const { initTracer } = require("jaeger-client") as {
  // biome-ignore lint/suspicious/noExplicitAny: jaeger-client ships no types.
  initTracer: (config: object, options: object) => any;
};

// biome-ignore lint/suspicious/noExplicitAny: jaeger-client ships no types.
async function jaegerClientTrace(reporter: object): Promise<{ traceId: string; root: any }> {
  const tracer = initTracer(
    {
      serviceName: "jaeger-client-svc",
      sampler: { type: "const", param: 1 },
      reporter: { flushIntervalMs: 10, ...reporter },
    },
    { tags: { "host.name": "box-1" }, logger: { info() {}, error() {} } },
  );
  const root = tracer.startSpan("GET /checkout");
  root.setTag("span.kind", "server");
  root.setTag("http.status_code", 200);
  const child = tracer.startSpan("SELECT orders", { childOf: root });
  child.setTag("error", true);
  child.setTag("db.rows", 12);
  child.log({ event: "slow query", ms: 250 });
  child.finish();
  root.finish();
  await new Promise<void>((r) => tracer.close(r));
  const ctx = root.context();
  return { traceId: ctx.traceIdStr ?? ctx.toTraceId(), root };
}

function checkJaegerClientTrace(tr: any) {
  assert.equal(tr.spans.length, 2);
  const root = tr.spans.find((s: any) => s.operationName === "GET /checkout");
  const child = tr.spans.find((s: any) => s.operationName === "SELECT orders");
  assert.equal(tr.processes[root.processID].serviceName, "jaeger-client-svc");
  assert.ok(tr.processes[root.processID].tags.some((t: any) => t.key === "host.name"));
  assert.deepEqual(tag(root, "span.kind"), { key: "span.kind", type: "string", value: "server" });
  // jaeger-client sends every JavaScript number as a Thrift double; Jaeger shows float64 too.
  assert.deepEqual(tag(root, "http.status_code"), {
    key: "http.status_code",
    type: "float64",
    value: 200,
  });
  assert.deepEqual(child.references[0], {
    refType: "CHILD_OF",
    traceID: tr.traceID,
    spanID: root.spanID,
  });
  assert.deepEqual(tag(child, "error"), { key: "error", type: "bool", value: true });
  assert.equal(child.logs[0].fields[0].value, "slow query");
  assert.deepEqual(child.logs[0].fields[1], { key: "ms", type: "float64", value: 250 });
}

test("jaeger-client over UDP (Thrift binary, its default 6832) and over HTTP (collector 14268)", async (t) => {
  const v = await testViewer({ otlpGrpc: false, ...protocolsOn });
  t.after(() => v.close());
  const udpPort = Number(v.protocols.jaegerBinary.split(":").pop());
  const viaUdp = await jaegerClientTrace({ agentHost: "127.0.0.1", agentPort: udpPort });
  checkJaegerClientTrace(await waitForTrace(v.uiUrl, viaUdp.traceId, 2));
  const viaHttp = await jaegerClientTrace({
    collectorEndpoint: `${v.protocols.jaegerHttp}/api/traces`,
  });
  checkJaegerClientTrace(await waitForTrace(v.uiUrl, viaHttp.traceId, 2));
});

/** An agent emitBatch message written by Apache Thrift's own protocol writer. */
function thriftBatch(kind: "compact" | "binary", traceLow: number, bare = false): Promise<Buffer> {
  return new Promise((resolve) => {
    const trans = new thrift.TBufferedTransport(undefined, (buf?: Buffer) => resolve(buf!));
    const P: any = kind === "compact" ? thrift.TCompactProtocol : thrift.TBinaryProtocol;
    const p = new P(trans);
    const T = thrift.Thrift.Type;
    const i64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(n);
      return new (require("node-int64"))(b);
    };
    const field = (name: string, type: number, id: number, write: () => void) => {
      p.writeFieldBegin(name, type, id);
      write();
      p.writeFieldEnd();
    };
    const tagStruct = (
      key: string,
      vType: number,
      fid: number,
      ftype: number,
      write: () => void,
    ) => {
      p.writeStructBegin("Tag");
      field("key", T.STRING, 1, () => p.writeString(key));
      field("vType", T.I32, 2, () => p.writeI32(vType));
      field("v", ftype, fid, write);
      p.writeFieldStop();
      p.writeStructEnd();
    };
    if (!bare) {
      p.writeMessageBegin("emitBatch", thrift.Thrift.MessageType.ONEWAY, 1);
      p.writeStructBegin("emitBatch_args");
      p.writeFieldBegin("batch", T.STRUCT, 1);
    }
    p.writeStructBegin("Batch");
    field("process", T.STRUCT, 1, () => {
      p.writeStructBegin("Process");
      field("serviceName", T.STRING, 1, () => p.writeString(`thrift-${kind}`));
      field("tags", T.LIST, 2, () => {
        p.writeListBegin(T.STRUCT, 1);
        tagStruct("client-uuid", 0, 3, T.STRING, () => p.writeString("abc"));
        p.writeListEnd();
      });
      p.writeFieldStop();
      p.writeStructEnd();
    });
    field("spans", T.LIST, 2, () => {
      p.writeListBegin(T.STRUCT, 1);
      p.writeStructBegin("Span");
      field("traceIdLow", T.I64, 1, () => p.writeI64(i64(BigInt(traceLow))));
      field("traceIdHigh", T.I64, 2, () => p.writeI64(i64(0x1234n)));
      field("spanId", T.I64, 3, () => p.writeI64(i64(-5n)));
      field("parentSpanId", T.I64, 4, () => p.writeI64(i64(0n)));
      field("operationName", T.STRING, 5, () => p.writeString("thrift op"));
      field("references", T.LIST, 6, () => {
        p.writeListBegin(T.STRUCT, 1);
        p.writeStructBegin("SpanRef");
        field("refType", T.I32, 1, () => p.writeI32(1));
        field("traceIdLow", T.I64, 2, () => p.writeI64(i64(77n)));
        field("traceIdHigh", T.I64, 3, () => p.writeI64(i64(0n)));
        field("spanId", T.I64, 4, () => p.writeI64(i64(78n)));
        p.writeFieldStop();
        p.writeStructEnd();
        p.writeListEnd();
      });
      field("flags", T.I32, 7, () => p.writeI32(1));
      field("startTime", T.I64, 8, () => p.writeI64(i64(1_760_000_000_000_000n)));
      field("duration", T.I64, 9, () => p.writeI64(i64(1500n)));
      field("tags", T.LIST, 10, () => {
        p.writeListBegin(T.STRUCT, 5);
        tagStruct("s", 0, 3, T.STRING, () => p.writeString("text"));
        tagStruct("d", 1, 4, T.DOUBLE, () => p.writeDouble(0.25));
        tagStruct("b", 2, 5, T.BOOL, () => p.writeBool(true));
        tagStruct("big", 3, 6, T.I64, () => p.writeI64(i64(9007199254740993n)));
        tagStruct("bin", 4, 7, T.STRING, () => p.writeBinary(Buffer.from([1, 2, 3])));
        p.writeListEnd();
      });
      field("logs", T.LIST, 11, () => {
        p.writeListBegin(T.STRUCT, 1);
        p.writeStructBegin("Log");
        field("timestamp", T.I64, 1, () => p.writeI64(i64(1_760_000_000_000_500n)));
        field("fields", T.LIST, 2, () => {
          p.writeListBegin(T.STRUCT, 1);
          tagStruct("event", 0, 3, T.STRING, () => p.writeString("retry"));
          p.writeListEnd();
        });
        p.writeFieldStop();
        p.writeStructEnd();
        p.writeListEnd();
      });
      p.writeFieldStop();
      p.writeStructEnd();
      p.writeListEnd();
    });
    p.writeFieldStop();
    p.writeStructEnd();
    if (!bare) {
      p.writeFieldEnd();
      p.writeFieldStop();
      p.writeStructEnd();
      p.writeMessageEnd();
    }
    trans.flush();
  });
}

async function sendUdp(address: string, msg: Buffer) {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(":")),
    Number(address.split(":").pop()),
  ];
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r, j) => sock.send(msg, port, host, (e) => (e ? j(e) : r())));
  sock.close();
}

function checkThriftSpan(tr: any, kind: string) {
  const s = tr.spans[0];
  assert.equal(
    tr.traceID,
    `0000000000001234${(1000 + (kind === "compact" ? 1 : 2)).toString(16).padStart(16, "0")}`,
  );
  assert.equal(s.spanID, "fffffffffffffffb");
  assert.equal(s.operationName, "thrift op");
  assert.equal(s.startTime, 1_760_000_000_000_000);
  assert.equal(s.duration, 1500);
  assert.equal(s.flags, 1);
  assert.equal(tr.processes[s.processID].serviceName, `thrift-${kind}`);
  assert.deepEqual(tr.processes[s.processID].tags, [
    { key: "client-uuid", type: "string", value: "abc" },
  ]);
  assert.deepEqual(s.references, [
    { refType: "FOLLOWS_FROM", traceID: "000000000000004d", spanID: "000000000000004e" },
  ]);
  assert.deepEqual(tag(s, "s"), { key: "s", type: "string", value: "text" });
  assert.deepEqual(tag(s, "d"), { key: "d", type: "float64", value: 0.25 });
  assert.deepEqual(tag(s, "b"), { key: "b", type: "bool", value: true });
  assert.equal(tag(s, "big").value, "9007199254740993", "int64 above 2^53 keeps every digit");
  assert.deepEqual(tag(s, "bin"), { key: "bin", type: "binary", value: "AQID" });
  assert.equal(s.logs[0].timestamp, 1_760_000_000_000_500);
  assert.deepEqual(s.logs[0].fields, [{ key: "event", type: "string", value: "retry" }]);
}

test("Thrift compact (6831) and binary (6832) datagrams written by Apache Thrift; garbage is counted, not stored", async (t) => {
  const v = await testViewer({ otlpGrpc: false, ...protocolsOn });
  t.after(() => v.close());
  await sendUdp(v.protocols.jaegerCompact, await thriftBatch("compact", 1001));
  await sendUdp(v.protocols.jaegerBinary, await thriftBatch("binary", 1002));
  checkThriftSpan(
    await waitForTrace(v.uiUrl, `0000000000001234${(1001).toString(16).padStart(16, "0")}`, 1),
    "compact",
  );
  checkThriftSpan(
    await waitForTrace(v.uiUrl, `0000000000001234${(1002).toString(16).padStart(16, "0")}`, 1),
    "binary",
  );
  const before = v.store.reader.stats().spanCount;
  // Random bytes and a truncated message are dropped (and counted); nothing is stored.
  await sendUdp(v.protocols.jaegerCompact, Buffer.from("not thrift at all"));
  const whole = await thriftBatch("compact", 1003);
  await sendUdp(v.protocols.jaegerCompact, whole.subarray(0, whole.length - 10));
  // A binary message on the compact port is recognised by its first byte and kept.
  await sendUdp(v.protocols.jaegerCompact, await thriftBatch("binary", 1005));
  await waitForTrace(v.uiUrl, `0000000000001234${(1005).toString(16).padStart(16, "0")}`, 1);
  assert.equal(v.store.reader.stats().spanCount, before + 1);

  // The collector's HTTP port takes a bare Batch in Thrift binary.
  const bare = await thriftBatch("binary", 1004, true);
  const r = await fetch(`${v.protocols.jaegerHttp}/api/traces`, {
    method: "POST",
    headers: { "content-type": "application/x-thrift" },
    body: bare,
  });
  assert.equal(r.status, 202);
  assert.equal(
    (
      await getJson(
        `${v.uiUrl}/api/traces/0000000000001234${(1004).toString(16).padStart(16, "0")}`,
      )
    ).status,
    200,
  );
  const bad = await fetch(`${v.protocols.jaegerHttp}/api/traces`, {
    method: "POST",
    headers: { "content-type": "application/x-thrift" },
    body: Buffer.from([0x0c, 0x00, 0x01, 0xff]),
  });
  assert.equal(bad.status, 400);
  const json = await fetch(`${v.protocols.jaegerHttp}/api/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "[]",
  });
  assert.equal(json.status, 415);
});

test("Jaeger collector gRPC (14250): api_v2 CollectorService/PostSpans; a span's own process wins", async (t) => {
  const v = await testViewer({ otlpGrpc: false, ...protocolsOn, jaegerGrpc: "127.0.0.1:0" });
  t.after(() => v.close());
  const pbw = () => protobuf.Writer.create();
  const kvStr = (k: string, s: string) => pbw().uint32(10).string(k).uint32(26).string(s).finish();
  const kvInt = (k: string, n: number) =>
    pbw().uint32(10).string(k).uint32(16).int32(2).uint32(40).int64(n).finish();
  const ts = (sec: number, nanos: number) =>
    pbw().uint32(8).int64(sec).uint32(16).int32(nanos).finish();
  const proc = (name: string) =>
    pbw().uint32(10).string(name).uint32(18).bytes(kvStr("ip", "10.1.1.1")).finish();
  const traceId = Buffer.from("0000000000000000000000000000beef", "hex");
  const span = (id: number, name: string, own?: Uint8Array) => {
    const w = pbw()
      .uint32(10)
      .bytes(traceId)
      .uint32(18)
      .bytes(Buffer.from(id.toString(16).padStart(16, "0"), "hex"))
      .uint32(26)
      .string(name);
    if (id === 2) {
      const ref = pbw()
        .uint32(10)
        .bytes(traceId)
        .uint32(18)
        .bytes(Buffer.from("0000000000000001", "hex"))
        .finish();
      w.uint32(34).bytes(ref);
    }
    w.uint32(50).bytes(ts(1_760_000_000, 1_500_000)).uint32(58).bytes(ts(0, 2_000_000));
    w.uint32(66).bytes(kvInt("rows", 7)).uint32(66).bytes(kvStr("span.kind", "client"));
    if (own) w.uint32(82).bytes(own);
    return w.finish();
  };
  const batch = pbw()
    .uint32(10)
    .bytes(span(1, "root"))
    .uint32(10)
    .bytes(span(2, "child", proc("other-svc")));
  batch.uint32(18).bytes(proc("grpc-svc"));
  const req = pbw().uint32(10).bytes(batch.finish()).finish();
  const client = new grpc.Client(v.protocols.jaegerGrpc, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const call = (body: Uint8Array) =>
    new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        "/jaeger.api_v2.CollectorService/PostSpans",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(body),
        (err) => resolve(err),
      ),
    );
  assert.equal(await call(req), null);
  const tr = (await getJson(`${v.uiUrl}/api/traces/beef`)).body.data[0];
  const root = tr.spans.find((s: any) => s.operationName === "root");
  const child = tr.spans.find((s: any) => s.operationName === "child");
  assert.equal(tr.processes[root.processID].serviceName, "grpc-svc");
  assert.equal(tr.processes[child.processID].serviceName, "other-svc");
  assert.equal(root.startTime, 1_760_000_000_001_500);
  assert.equal(root.duration, 2000);
  assert.deepEqual(tag(root, "rows"), { key: "rows", type: "int64", value: 7 });
  assert.equal(tag(root, "span.kind").value, "client");
  assert.deepEqual(child.references, [
    { refType: "CHILD_OF", traceID: "000000000000beef", spanID: "0000000000000001" },
  ]);
  const bad = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
  assert.equal(bad?.code, grpc.status.INVALID_ARGUMENT);
});
