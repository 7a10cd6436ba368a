import http from "node:http";
import { startViewer } from "@periscope/trace-viewer";
import { chromium } from "playwright-core";
import { sendBigTrace } from "./viewer-big.ts";
import { CHROMIUM_ARGS } from "./viewer-page.ts";

const v = await startViewer({
  ui: "127.0.0.1:0",
  otlpHttp: "127.0.0.1:0",
  otlpGrpc: false,
  inMemory: true,
  maxBytes: 0,
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const { traceId } = await sendBigTrace(agent, Number(new URL(v.otlpHttpUrl!).port), 205000);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
await page.goto(`${v.uiUrl}/trace/${traceId}`);
await page.waitForSelector('[data-testid="trace-ready"]', { state: "attached", timeout: 120000 });
await cdp.send("Profiler.start");
await page.locator(`.view-switcher [data-view="${process.argv[2]}"]`).click();
await page.locator(process.argv[3]!).first().waitFor({ timeout: 60000 });
const { profile } = await cdp.send("Profiler.stop");
const self = new Map<string, number>();
const dt = profile.timeDeltas ?? [];
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
(profile.samples ?? []).forEach((id, i) => {
  const n = byId.get(id)!;
  const k = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`;
  self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
});
console.log(
  [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([k, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${k}`)
    .join("\n"),
);
await browser.close();
agent.destroy();
await v.close();
