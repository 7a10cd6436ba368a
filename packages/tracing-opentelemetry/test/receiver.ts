// A test OTLP/HTTP receiver on loopback: decodes ExportTraceServiceRequest with the official
// opentelemetry-proto definitions (the viewer's copy, field for field upstream's) and keeps the
// spans, flattened.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { OTLP_PROTO_DIR } from "@periscope/trace-viewer";
import protobuf from "protobufjs";

const PROTO_DIR = OTLP_PROTO_DIR;

export type Value = string | number | boolean | Value[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, Value>;
  events: { name: string; attributes: Record<string, Value> }[];
  links: { traceId: string; spanId: string }[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, Value>;
  scope: string;
  startNs: bigint;
  endNs: bigint;
}

interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}

let requestType: protobuf.Type | undefined;

export async function loadType(): Promise<protobuf.Type> {
  if (requestType !== undefined) return requestType;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  await root.load("opentelemetry/proto/collector/trace/v1/trace_service.proto", {
    keepCase: false,
  });
  requestType = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest");
  return requestType;
}

function value(v: AnyValue | undefined): Value {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
  return null;
}

function attrs(kvs: KeyValue[] | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const kv of kvs ?? []) out[kv.key] = value(kv.value);
  return out;
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString("hex");

/** Decodes an ExportTraceServiceRequest into flat spans. */
export function decodeSpans(type: protobuf.Type, body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const msg = type.toObject(type.decode(body), { longs: String, defaults: false }) as {
    resourceSpans?: {
      resource?: { attributes?: KeyValue[] };
      scopeSpans?: {
        scope?: { name?: string };
        spans?: {
          traceId?: Uint8Array;
          spanId?: Uint8Array;
          parentSpanId?: Uint8Array;
          name?: string;
          kind?: number;
          startTimeUnixNano?: string;
          endTimeUnixNano?: string;
          attributes?: KeyValue[];
          events?: { name?: string; attributes?: KeyValue[] }[];
          links?: { traceId?: Uint8Array; spanId?: Uint8Array }[];
          status?: { code?: number; message?: string };
        }[];
      }[];
    }[];
  };
  for (const rs of msg.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name ?? "",
          kind: s.kind ?? 0,
          attributes: attrs(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name ?? "",
            attributes: attrs(e.attributes),
          })),
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
          resource,
          scope: ss.scope?.name ?? "",
          startNs: BigInt(s.startTimeUnixNano ?? "0"),
          endNs: BigInt(s.endTimeUnixNano ?? "0"),
        });
      }
    }
  }
  return out;
}

export class Receiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  readonly #server: Server;
  #waiters: { n: number; resolve: () => void }[] = [];
  url = "";

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.#handle(req.url ?? "", Buffer.concat(chunks)).then(
          () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end(),
          (e: unknown) => res.writeHead(400).end(String(e)),
        );
      });
    });
  }

  async start(): Promise<this> {
    await loadType();
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v1/traces`;
    return this;
  }

  async #handle(path: string, body: Buffer): Promise<void> {
    if (path !== "/v1/traces") throw new Error(`unexpected path ${path}`);
    this.add(decodeSpans(await loadType(), body));
  }

  /** Keeps decoded spans and wakes whoever waits for them. */
  add(spans: ReceivedSpan[]): void {
    this.requests++;
    this.spans.push(...spans);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.spans.length < w.n) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once at least n spans arrived (the test runner's timeout bounds the wait). */
  waitFor(n: number): Promise<void> {
    if (this.spans.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  byName(name: string): ReceivedSpan {
    const s = this.spans.find((x) => x.name === name);
    if (s === undefined)
      throw new Error(`no span named ${name}; got ${this.spans.map((x) => x.name).join(", ")}`);
    return s;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, "close").catch(() => undefined);
  }
}
