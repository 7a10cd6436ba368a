// The Jaeger agent's UDP ports: one emitBatch message per datagram, Thrift compact on 6831
// (what jaeger-client and the OpenTelemetry Jaeger exporters send by default) or binary on
// 6832. UDP has no answer, so a datagram that cannot be decoded is counted and reported on
// stderr (at most once a minute), never silently lost.
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { OtlpDecodeError } from "../otlp/decode.ts";
import type { IngestSink } from "./ingest.ts";
import type { ThriftEncoding } from "./jaeger-thrift.ts";

export interface UdpReceiverStats {
  datagrams: number;
  malformed: number;
  spans: number;
  storeFailures: number;
}

export interface JaegerUdpReceiver {
  port: number;
  stats: UdpReceiverStats;
  close(): Promise<void>;
}

export function startJaegerUdp(
  host: string,
  port: number,
  encoding: ThriftEncoding,
  sink: IngestSink,
  clock: () => number = Date.now,
): Promise<JaegerUdpReceiver> {
  const sock = dgram.createSocket({
    type: host.includes(":") ? "udp6" : "udp4",
    // Bursts of datagrams wait here while a commit runs; the kernel drops what does not fit.
    recvBufferSize: 8 * 1024 * 1024,
  });
  const stats: UdpReceiverStats = { datagrams: 0, malformed: 0, spans: 0, storeFailures: 0 };
  let lastReport = 0;
  let bound = port;
  const report = (what: string) => {
    const now = clock();
    if (now - lastReport < 60_000) return;
    lastReport = now;
    process.stderr.write(
      `periscope viewer: Jaeger ${encoding} UDP port ${bound}: ${what} (${stats.malformed} malformed datagrams so far)\n`,
    );
  };
  sock.on("message", (msg) => {
    stats.datagrams++;
    sink.submit(encoding === "compact" ? "jaeger-udp-compact" : "jaeger-udp-binary", msg).then(
      (r) => {
        stats.spans += r.accepted;
      },
      (e: unknown) => {
        if (e instanceof OtlpDecodeError) {
          stats.malformed++;
          return report(`dropped a datagram that is not a Thrift emitBatch: ${e.message}`);
        }
        stats.storeFailures++;
        report(`storing a batch failed: ${(e as Error).message}`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, host, () => {
      sock.off("error", reject);
      sock.on("error", (e) => report(`socket error: ${e.message}`));
      sock.unref();
      bound = (sock.address() as AddressInfo).port;
      resolve({
        port: bound,
        stats,
        close: () => new Promise<void>((r) => sock.close(() => r())),
      });
    });
  });
}
