import http from "node:http";
import { startViewer } from "@periscope/trace-viewer";
import { sendBigTrace } from "./viewer-big.ts";
const v = await startViewer({ ui: "127.0.0.1:0", otlpHttp: "127.0.0.1:0", otlpGrpc: false, inMemory: true, maxBytes: 0 });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const { traceId } = await sendBigTrace(agent, Number(new URL(v.otlpHttpUrl!).port), 205000);
for (const path of [`/api/traces/${traceId}`, `/api/v3/traces/${traceId}`]) {
  const t = performance.now();
  const r = await fetch(`${v.uiUrl}${path}`);
  const ttfb = performance.now() - t;
  const txt = await r.text();
  console.log(path.slice(0, 15), "ttfb", ttfb.toFixed(0), "total", (performance.now() - t).toFixed(0), "ms", (txt.length / 1e6).toFixed(1), "MB");
}
agent.destroy();
await v.close();
