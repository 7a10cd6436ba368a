// The viewer bench's per-protocol rows: viewer CPU per ingested span against the CPU of only
// decoding the same requests (the floor: what any receiver must spend), for the Zipkin and
// Jaeger receivers. Bodies are written by Apache Thrift's protocol writers and JSON.stringify.
import dgram from "node:dgram";
import http from "node:http";
import { createRequire } from "node:module";
import { decodeWire, type WireFormat } from "@periscope/trace-viewer";
import thrift from "thrift";
import type { BenchRow } from "./harness.ts";

// The protocol writers only take node-int64 objects, from the copy thrift itself loads.
const NodeInt64 = createRequire(createRequire(import.meta.url).resolve("thrift"))("node-int64");

export interface ProtocolTargets {
  zipkin: string;
  jaegerHttp: string;
  jaegerCompact: string;
  /** Spans stored so far, from the viewer's info endpoint. */
  spanCount: () => Promise<number>;
  /** CPU seconds the viewer process has used. */
  cpu: () => number;
}

const OPS = ["GET", "SET", "DEL", "INCR"];

interface SpanSpec {
  trace: bigint;
  id: bigint;
  parent: bigint;
  name: string;
  startUs: bigint;
  durUs: bigint;
  key: string;
}

export function specs(batch: number, n: number, t0Us: bigint): SpanSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    trace: BigInt(batch) * 1000n + BigInt(Math.floor(i / 10)) + 1n,
    id: BigInt(batch) * 100_000n + BigInt(i) + 1n,
    parent: i % 10 === 0 ? 0n : BigInt(batch) * 100_000n + BigInt(i - (i % 10)) + 1n,
    name: OPS[i % OPS.length]!,
    startUs: t0Us + BigInt(batch * 1000 + i),
    durUs: BigInt(100 + (i % 50)),
    key: `key:${i % 1000}`,
  }));
}

const hex = (n: bigint, digits: number) => n.toString(16).padStart(digits, "0");

function zipkinBody(s: SpanSpec[], prefix: bigint): Buffer {
  return Buffer.from(
    JSON.stringify(
      s.map((x) => ({
        traceId: hex(prefix + x.trace, 32),
        id: hex(x.id, 16),
        ...(x.parent ? { parentId: hex(x.parent, 16) } : {}),
        kind: x.parent ? "CLIENT" : "SERVER",
        name: x.name,
        timestamp: Number(x.startUs),
        duration: Number(x.durUs),
        localEndpoint: { serviceName: "zipkin-bench" },
        tags: { "db.system": "redis", "db.key": x.key, "net.peer.port": "6379" },
      })),
    ),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: the thrift package's protocol types are loose.
type Any = any;

export function thriftBody(
  kind: "compact" | "binary",
  s: SpanSpec[],
  prefix: bigint,
  message: boolean,
): Buffer {
  let out: Buffer | undefined;
  const trans = new thrift.TBufferedTransport(undefined, (b?: Buffer) => {
    out = b;
  });
  const p: Any =
    kind === "compact" ? new thrift.TCompactProtocol(trans) : new thrift.TBinaryProtocol(trans);
  const T = thrift.Thrift.Type;
  const int64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt.asIntN(64, n));
    return new NodeInt64(b);
  };
  const f = (name: string, type: number, id: number, w: () => void) => {
    p.writeFieldBegin(name, type, id);
    w();
    p.writeFieldEnd();
  };
  const str = (key: string, v: string) => {
    p.writeStructBegin("Tag");
    f("key", T.STRING, 1, () => p.writeString(key));
    f("vType", T.I32, 2, () => p.writeI32(0));
    f("vStr", T.STRING, 3, () => p.writeString(v));
    p.writeFieldStop();
    p.writeStructEnd();
  };
  if (message) {
    p.writeMessageBegin("emitBatch", thrift.Thrift.MessageType.ONEWAY, 1);
    p.writeStructBegin("emitBatch_args");
    p.writeFieldBegin("batch", T.STRUCT, 1);
  }
  p.writeStructBegin("Batch");
  f("process", T.STRUCT, 1, () => {
    p.writeStructBegin("Process");
    f("serviceName", T.STRING, 1, () => p.writeString(`jaeger-${kind}-bench`));
    p.writeFieldStop();
    p.writeStructEnd();
  });
  f("spans", T.LIST, 2, () => {
    p.writeListBegin(T.STRUCT, s.length);
    for (const x of s) {
      p.writeStructBegin("Span");
      f("traceIdLow", T.I64, 1, () => p.writeI64(int64(prefix + x.trace)));
      f("traceIdHigh", T.I64, 2, () => p.writeI64(int64(1n)));
      f("spanId", T.I64, 3, () => p.writeI64(int64(x.id)));
      f("parentSpanId", T.I64, 4, () => p.writeI64(int64(x.parent)));
      f("operationName", T.STRING, 5, () => p.writeString(x.name));
      f("flags", T.I32, 7, () => p.writeI32(1));
      f("startTime", T.I64, 8, () => p.writeI64(int64(x.startUs)));
      f("duration", T.I64, 9, () => p.writeI64(int64(x.durUs)));
      f("tags", T.LIST, 10, () => {
        p.writeListBegin(T.STRUCT, 3);
        str("db.system", "redis");
        str("db.key", x.key);
        str("span.kind", x.parent ? "client" : "server");
        p.writeListEnd();
      });
      p.writeFieldStop();
      p.writeStructEnd();
    }
    p.writeListEnd();
  });
  p.writeFieldStop();
  p.writeStructEnd();
  if (message) {
    p.writeFieldEnd();
    p.writeFieldStop();
    p.writeStructEnd();
    p.writeMessageEnd();
  }
  trans.flush();
  return out!;
}

/** CPU seconds this process spends decoding `bodies` with the viewer's own decoder. */
function floorCpu(format: WireFormat, bodies: Buffer[]): { secs: number; spans: number } {
  for (const b of bodies.slice(0, 5)) decodeWire(format, b);
  const c0 = process.cpuUsage();
  let spans = 0;
  for (const b of bodies) spans += decodeWire(format, b).accepted;
  const c = process.cpuUsage(c0);
  return { secs: (c.user + c.system) / 1e6, spans };
}

function postBody(url: string, ctype: string, body: Buffer, agent: http.Agent): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        agent,
        headers: { "content-type": ctype, "content-length": body.length },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Waits until `want` spans are stored, or the count has not moved for 10 s (datagrams lost). */
async function settle(t: ProtocolTargets, want: number): Promise<number> {
  let last = -1;
  let still = 0;
  for (let i = 0; i < 300; i++) {
    const n = await t.spanCount();
    if (n >= want) return n;
    still = n === last ? still + 1 : 0;
    if (still >= 50) return n;
    last = n;
    await new Promise((r) => setTimeout(r, 200));
  }
  return t.spanCount();
}

export async function protocolRows(
  t: ProtocolTargets,
  t0Us: bigint,
): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const cases: Array<{
    what: string;
    format: WireFormat;
    bodies: Buffer[];
    send: (b: Buffer) => Promise<void>;
  }> = [];
  const batches = 60;
  cases.push({
    what: "Zipkin v2 JSON (POST /api/v2/spans, 1,000-span requests)",
    format: "zipkin-json",
    bodies: Array.from({ length: batches }, (_, b) => zipkinBody(specs(b, 1000, t0Us), 1n << 100n)),
    send: async (b) => {
      if ((await postBody(`${t.zipkin}/api/v2/spans`, "application/json", b, agent)) !== 202)
        throw new Error("zipkin post failed");
    },
  });
  cases.push({
    what: "Jaeger collector HTTP, Thrift binary (POST /api/traces, 1,000-span requests)",
    format: "jaeger-thrift-http",
    bodies: Array.from({ length: batches }, (_, b) =>
      thriftBody("binary", specs(b, 1000, t0Us), 2n << 40n, false),
    ),
    send: async (b) => {
      if ((await postBody(`${t.jaegerHttp}/api/traces`, "application/x-thrift", b, agent)) !== 202)
        throw new Error("jaeger post failed");
    },
  });
  const sock = dgram.createSocket("udp4");
  const [host, port] = [
    t.jaegerCompact.slice(0, t.jaegerCompact.lastIndexOf(":")),
    Number(t.jaegerCompact.split(":").pop()),
  ];
  cases.push({
    what: "Jaeger agent UDP, Thrift compact (6831's protocol, 100-span datagrams)",
    format: "jaeger-udp-compact",
    bodies: Array.from({ length: batches * 10 }, (_, b) =>
      thriftBody("compact", specs(b, 100, t0Us), 3n << 40n, true),
    ),
    // Paced: a datagram the kernel drops for want of buffer is simply lost, for any receiver.
    send: (b) =>
      new Promise<void>((resolve, reject) =>
        sock.send(b, port, host, (e) => (e ? reject(e) : setTimeout(resolve, 1))),
      ),
  });
  for (const c of cases) {
    const floor = floorCpu(c.format, c.bodies);
    const before = await t.spanCount();
    const cpu0 = t.cpu();
    let inFlight: Promise<void>[] = [];
    for (const b of c.bodies) {
      inFlight.push(c.send(b));
      if (inFlight.length >= 4) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    const stored = (await settle(t, before + floor.spans)) - before;
    const cpu = t.cpu() - cpu0;
    const ours = (cpu * 1e6) / stored;
    const theirs = (floor.secs * 1e6) / floor.spans;
    rows.push({
      what: `${c.what}: viewer CPU per stored span vs decoding only`,
      peer: "decode only",
      ours,
      theirs,
      unit: "µs/span",
      ratio: ours / theirs,
      goal: "<= 2x",
      met: ours / theirs <= 2 && stored === floor.spans,
    });
    notes.push(`${c.format}: ${stored} of ${floor.spans} spans stored`);
  }
  sock.close();
  agent.destroy();
  return { rows, notes };
}
