// A loopback OTLP/HTTP trace receiver for the --otlp tests. It decodes just what the tests read
// (ids, name, kind, status, string/int/bool attributes, resource service name) straight from the
// protobuf wire format, so the tests need no generated code.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** OTLP Status: code 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
}

type Field = { no: number; wire: number; int: bigint; bytes: Uint8Array };

/** The fields of one protobuf message, in order (varint, fixed64/32 and length-delimited). */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error("truncated varint");
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, int: varint(), bytes: new Uint8Array(0) });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, int: 0n, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) {
      out.push({
        no,
        wire,
        int: Buffer.from(buf.subarray(i, i + 8)).readBigUInt64LE(),
        bytes: buf.subarray(i, i + 8),
      });
      i += 8;
    } else if (wire === 5) {
      out.push({
        no,
        wire,
        int: BigInt(Buffer.from(buf.subarray(i, i + 4)).readUInt32LE()),
        bytes: buf.subarray(i, i + 4),
      });
      i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** KeyValue { key = 1; AnyValue value = 2 { string 1, bool 2, int 3, double 4 } }. */
function keyValues(list: Field[], no: number): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list.filter((f) => f.no === no)) {
    const parts = fields(kv.bytes);
    const key = text(parts.find((f) => f.no === 1)?.bytes ?? new Uint8Array(0));
    const value = fields(parts.find((f) => f.no === 2)?.bytes ?? new Uint8Array(0))[0];
    if (value === undefined) continue;
    if (value.no === 1) out[key] = text(value.bytes);
    else if (value.no === 2) out[key] = value.int !== 0n;
    else if (value.no === 3) out[key] = Number(BigInt.asIntN(64, value.int));
    else if (value.no === 4) out[key] = Buffer.from(value.bytes).readDoubleLE();
  }
  return out;
}

/** Status { string message = 2; StatusCode code = 3 }. */
function status(bytes: Uint8Array | undefined): { code: number; message: string } {
  const f = fields(bytes ?? new Uint8Array(0));
  return {
    code: Number(f.find((x) => x.no === 3)?.int ?? 0n),
    message: text(f.find((x) => x.no === 2)?.bytes ?? new Uint8Array(0)),
  };
}

/** ExportTraceServiceRequest { ResourceSpans 1 { Resource 1, ScopeSpans 2 { Span 2 } } }. */
export function decodeSpans(body: Uint8Array): Span[] {
  const spans: Span[] = [];
  for (const rs of fields(body).filter((f) => f.no === 1)) {
    const rsFields = fields(rs.bytes);
    const resource = keyValues(
      fields(rsFields.find((f) => f.no === 1)?.bytes ?? new Uint8Array(0)),
      1,
    );
    for (const ss of rsFields.filter((f) => f.no === 2)) {
      for (const sp of fields(ss.bytes).filter((f) => f.no === 2)) {
        const s = fields(sp.bytes);
        const get = (no: number) => s.find((f) => f.no === no);
        spans.push({
          service: String(resource["service.name"] ?? ""),
          traceId: hex(get(1)?.bytes ?? new Uint8Array(0)),
          spanId: hex(get(2)?.bytes ?? new Uint8Array(0)),
          parentSpanId: hex(get(4)?.bytes ?? new Uint8Array(0)),
          name: text(get(5)?.bytes ?? new Uint8Array(0)),
          kind: Number(get(6)?.int ?? 0n),
          attributes: keyValues(s, 9),
          status: status(get(15)?.bytes),
        });
      }
    }
  }
  return spans;
}

export interface Receiver {
  endpoint: string;
  spans: Span[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 port 0 for POST /v1/traces; every decoded span lands in `spans`. */
export async function startReceiver(): Promise<Receiver> {
  const spans: Span[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") spans.push(...decodeSpans(Buffer.concat(chunks)));
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
