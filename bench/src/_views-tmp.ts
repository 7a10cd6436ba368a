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
const errors: string[] = [];
page.on("pageerror", (e) => errors.push(e.message));
await page.goto(`${v.uiUrl}/trace/${traceId}`);
await page.waitForSelector('[data-testid="trace-ready"]', { state: "attached", timeout: 120000 });
for (const view of ["graph", "statistics", "table", "flamegraph", "json", "timeline"]) {
  const t = performance.now();
  await page.locator(`.view-switcher [data-view="${view}"]`).click();
  const sel = {
    graph: ".graph-node",
    statistics: '[data-testid="stats-table"] tbody tr',
    table: '[data-testid="spans-row"]',
    flamegraph: '[data-testid="flamegraph"]',
    json: "text=Show the JSON",
    timeline: '[data-testid="span-row"]',
  }[view]!;
  await page.locator(sel).first().waitFor({ timeout: 60000 });
  console.log(view, Math.round(performance.now() - t), "ms");
  await page.screenshot({ path: `/tmp/w19/big-${view}.png` });
}
const t = performance.now();
await page.locator(`.view-switcher [data-view="table"]`).click();
await page.getByLabel("Filter spans").fill("frame");
await page
  .getByTestId("spans-count")
  .filter({ hasText: /^\d+ of 205000/ })
  .waitFor();
console.log(
  "filter",
  Math.round(performance.now() - t),
  "ms",
  await page.getByTestId("spans-count").innerText(),
);
console.log(errors);
await browser.close();
agent.destroy();
await v.close();
