// Starts the receivers that make the viewer a drop-in for Jaeger all-in-one: the Jaeger agent's
// UDP ports (Thrift compact 6831, binary 6832), the Jaeger collector's HTTP port (14268,
// POST /api/traces, Thrift binary) and gRPC port (14250, api_v2 PostSpans), and Zipkin's (9411,
// /api/v2/spans JSON or protobuf, /api/v1/spans JSON). Each is on by default on loopback and can be moved or turned off.
import { createServer } from "node:http";
import { isLoopbackHost } from "../http-guard.ts";
import { closeServer, fmtHost, listen, parseHostPort, portError } from "../listen.ts";
import type { IngestSink } from "./ingest.ts";
import { startJaegerGrpc } from "./jaeger-grpc.ts";
import { startJaegerUdp } from "./jaeger-udp.ts";
import { createSpanHttpHandler, type SpanRoute } from "./span-http.ts";

export interface ProtocolOptions {
  /** Jaeger agent UDP, Thrift compact (default 127.0.0.1:6831), or false. */
  jaegerCompact?: string | false | null;
  /** Jaeger agent UDP, Thrift binary (default 127.0.0.1:6832), or false. */
  jaegerBinary?: string | false | null;
  /** Jaeger collector HTTP, Thrift binary (default 127.0.0.1:14268), or false. */
  jaegerHttp?: string | false | null;
  /** Zipkin HTTP (default 127.0.0.1:9411), or false. */
  zipkin?: string | false | null;
  /** Jaeger collector gRPC, api_v2 (default 127.0.0.1:14250), or false. */
  jaegerGrpc?: string | false | null;
}

export interface ProtocolAddresses {
  jaegerCompact: string;
  jaegerBinary: string;
  jaegerHttp: string;
  zipkin: string;
  jaegerGrpc: string;
}

const JAEGER_ROUTES: SpanRoute[] = [
  {
    path: "/api/traces",
    decoders: {
      "application/x-thrift": "jaeger-thrift-http",
      "application/vnd.apache.thrift.binary": "jaeger-thrift-http",
    },
  },
];

const ZIPKIN_ROUTES: SpanRoute[] = [
  {
    path: "/api/v2/spans",
    decoders: {
      "application/json": "zipkin-json",
      "application/x-protobuf": "zipkin-protobuf",
      "application/protobuf": "zipkin-protobuf",
    },
  },
  {
    path: "/api/v1/spans",
    decoders: { "application/json": "zipkin-v1-json" },
  },
];

const on = (v: string | false | null | undefined): v is string | undefined =>
  v !== false && v !== null;

export async function startProtocolReceivers(
  o: ProtocolOptions,
  sink: IngestSink,
  corsOrigins: string[],
  maxBodyBytes: number,
  /** The gRPC receivers' sink (with the in-flight cap shared with OTLP/gRPC) and message cap. */
  grpc: { sink: IngestSink; maxMessageBytes: number },
  closers: Array<() => Promise<void>>,
): Promise<ProtocolAddresses> {
  const out: ProtocolAddresses = {
    jaegerCompact: "",
    jaegerBinary: "",
    jaegerHttp: "",
    zipkin: "",
    jaegerGrpc: "",
  };
  const udp = [
    ["jaegerCompact", "--jaeger-compact", "127.0.0.1:6831", "compact"],
    ["jaegerBinary", "--jaeger-binary", "127.0.0.1:6832", "binary"],
  ] as const;
  for (const [key, flag, fallback, enc] of udp) {
    const v = o[key];
    if (!on(v)) continue;
    const a = parseHostPort(v ?? fallback, flag);
    const r = await startJaegerUdp(a.host, a.port, enc, sink).catch((e: unknown) => {
      throw portError(e, flag, a.host, a.port);
    });
    closers.push(() => r.close());
    out[key] = `${fmtHost(a.host)}:${r.port}`;
  }
  const http = [
    ["jaegerHttp", "--jaeger-http", "127.0.0.1:14268", JAEGER_ROUTES],
    ["zipkin", "--zipkin", "127.0.0.1:9411", ZIPKIN_ROUTES],
  ] as const;
  for (const [key, flag, fallback, routes] of http) {
    const v = o[key];
    if (!on(v)) continue;
    const a = parseHostPort(v ?? fallback, flag);
    const server = createServer(
      createSpanHttpHandler({
        sink,
        maxBodyBytes,
        guard: { loopback: isLoopbackHost(a.host), corsOrigins },
        routes: [...routes],
      }),
    );
    const p = await listen(server, a.host, a.port, flag);
    closers.push(() => closeServer(server));
    out[key] = `http://${fmtHost(a.host)}:${p}`;
  }
  if (on(o.jaegerGrpc)) {
    const a = parseHostPort(o.jaegerGrpc ?? "127.0.0.1:14250", "--jaeger-grpc");
    const g = await startJaegerGrpc(a.host, a.port, grpc.sink, grpc.maxMessageBytes).catch(
      (e: unknown) => {
        throw portError(e, "--jaeger-grpc", a.host, a.port);
      },
    );
    closers.push(() => g.close());
    out.jaegerGrpc = `${fmtHost(a.host)}:${g.port}`;
  }
  return out;
}
