import dgram from "node:dgram";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startViewer } from "@periscope/trace-viewer";
import { specs, thriftBody } from "./viewer-protocols.ts";

const v = await startViewer({
  ui: "127.0.0.1:0",
  otlpHttp: false,
  otlpGrpc: false,
  jaegerCompact: "127.0.0.1:0",
  jaegerBinary: false,
  jaegerHttp: false,
  zipkin: false,
  jaegerGrpc: false,
  dataDir: mkdtempSync(join(tmpdir(), "b15-")),
  maxBytes: 0,
  retentionMs: 0,
});
const sock = dgram.createSocket("udp4");
const port = Number(v.protocols.jaegerCompact.split(":").pop());
const t0 = BigInt(Date.now() - 600e3) * 1000n;
const N = Number(process.argv[2]);
const bodies = Array.from({ length: N }, (_, b) =>
  thriftBody("compact", specs(b, 100, t0), 3n << 40n, true),
);
for (let i = 0; i < N; i += 40)
  await Promise.all(
    bodies
      .slice(i, i + 40)
      .map(
        (b) =>
          new Promise<void>((r, j) => sock.send(b, port, "127.0.0.1", (e) => (e ? j(e) : r()))),
      ),
  );
await new Promise((r) => setTimeout(r, 1000));
console.log(N, v.store.reader.stats());
sock.close();
await v.close();
