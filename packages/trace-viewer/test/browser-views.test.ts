// Browser tests of the trace page's views (Trace Graph, Statistics, Spans Table, Flamegraph,
// JSON), Compare's diff graph, the trace-id box, the custom time range, uploads kept in
// IndexedDB and the home page, on a seeded multi-service trace with errors, links and events;
// and hostile strings through every one of them. Headless Chromium against the real viewer.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { startViewer } from "../src/index.ts";
import {
  computedStyle,
  DIST,
  launch,
  openTrace,
  rows,
  type SpanSpec,
  sendTrace,
  shot,
  skip,
  XSS,
} from "./browser-harness.ts";

const CHECKOUT: SpanSpec[] = [
  { name: "POST /checkout", at: 0, ms: 200, attributes: { "http.method": "POST" } },
  {
    name: "cart.get",
    service: "cart",
    parent: 0,
    at: 10,
    ms: 40,
    events: [{ name: "cache miss", at: 12, attributes: { key: "cart:7" } }],
  },
  {
    name: "SELECT cart",
    service: "db",
    parent: 1,
    at: 15,
    ms: 20,
    attributes: { "db.statement": "SELECT * FROM cart", "http.get_count": 3 },
  },
  { name: "charge", service: "payments", parent: 0, at: 60, ms: 100, error: "card declined" },
  {
    name: "SELECT cart",
    service: "db",
    parent: 1,
    at: 36,
    ms: 10,
    attributes: { "db.statement": "SELECT 1" },
  },
  { name: "render", parent: 0, at: 170, ms: 20, linkTo: 1 },
];

/** B: no charge (only in A), a cache lookup (only in B), three SELECTs (changed). */
const CHECKOUT_B: SpanSpec[] = [
  { name: "POST /checkout", at: 0, ms: 120 },
  { name: "cart.get", service: "cart", parent: 0, at: 10, ms: 90 },
  { name: "SELECT cart", service: "db", parent: 1, at: 15, ms: 20 },
  { name: "SELECT cart", service: "db", parent: 1, at: 40, ms: 20 },
  { name: "SELECT cart", service: "db", parent: 1, at: 65, ms: 20 },
  { name: "cache.lookup", service: "cache", parent: 0, at: 101, ms: 5 },
  { name: "render", parent: 0, at: 106, ms: 10 },
];

const HOSTILE: SpanSpec[] = [
  {
    name: XSS.img,
    at: 0,
    ms: 50,
    attributes: { [XSS.script]: XSS.img, "http.url": XSS.js, note: XSS.svg },
    events: [{ name: XSS.img, at: 5, attributes: { link: XSS.js } }],
    error: XSS.script,
  },
  { name: XSS.svg, service: XSS.script, parent: 0, at: 5, ms: 20, attributes: { [XSS.svg]: "x" } },
  { name: XSS.js, service: XSS.img, parent: 1, at: 6, ms: 10, linkTo: 0 },
];

const tab = (page: Page, view: string) => page.locator(`.view-switcher [data-view="${view}"]`);

async function injected(page: Page) {
  return page.evaluate(`({
    xss: window.__xss ?? null,
    img: document.querySelectorAll("img").length,
    handlers: document.querySelectorAll("[onerror],[onload],[onclick]").length,
    jsLinks: [...document.querySelectorAll("a")].filter((a) => /^\\s*javascript:/i.test(a.getAttribute("href") ?? "")).length,
    scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
    foreign: document.querySelectorAll("svg svg, foreignObject").length,
  })`);
}
const CLEAN = { xss: null, img: 0, handlers: 0, jsLinks: 0, scripts: 0, foreign: 0 };

test("trace views, compare, lookup, uploads in Chromium", { skip, timeout: 180_000 }, async (t) => {
  assert.ok(
    existsSync(DIST),
    "web/dist is missing: run `npm run build -w @periscope/trace-viewer`",
  );
  const viewer = await startViewer({
    ui: "127.0.0.1:0",
    otlpHttp: "127.0.0.1:0",
    otlpGrpc: false,
    inMemory: true,
  });
  t.after(() => viewer.close());
  const ui = viewer.uiUrl;
  const otlp = viewer.otlpHttpUrl!;
  const a = await sendTrace(otlp, "frontend", CHECKOUT);
  const b = await sendTrace(otlp, "frontend", CHECKOUT_B);
  const hostile = await sendTrace(otlp, XSS.svg, HOSTILE, { "host.name": XSS.img });

  const { browser, close } = await launch();
  t.after(close);
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });

  await t.test("the view switcher changes ?view= and a deep link opens that view", async () => {
    await openTrace(page, ui, a.traceId);
    assert.equal(await tab(page, "timeline").getAttribute("aria-selected"), "true");
    for (const view of ["graph", "statistics", "table", "flamegraph", "json"]) {
      await tab(page, view).click();
      assert.equal(new URL(page.url()).searchParams.get("view"), view);
      assert.equal(await tab(page, view).getAttribute("aria-selected"), "true");
    }
    await tab(page, "timeline").click();
    assert.equal(new URL(page.url()).searchParams.get("view"), null);
    await rows(page).first().waitFor();
    await page.goto(`${ui}/trace/${a.traceId}?view=statistics`);
    await page.getByTestId("stats-table").waitFor();
    // Back returns to the previous view, as with any link.
    await page.goBack();
    await rows(page).first().waitFor();
  });

  await t.test(
    "trace graph: merged nodes by service, a node's panel, collapse, open in timeline",
    async () => {
      await page.goto(`${ui}/trace/${a.traceId}?view=graph`);
      const graph = page.getByTestId("trace-graph");
      await graph.waitFor();
      const nodes = graph.locator(".graph-node");
      // Six spans, five nodes: the two SELECTs under cart.get merge into one "×2".
      assert.equal(await nodes.count(), 5);
      assert.equal(await graph.locator(".graph-edge").count(), 4);
      const select = nodes.filter({ hasText: "SELECT cart" });
      assert.match(await select.innerHTML(), /×2/);
      assert.equal(
        await nodes.filter({ hasText: "charge" }).getAttribute("class"),
        "graph-node error ",
      );
      await shot(page, "view-graph");
      await nodes.filter({ hasText: "cart.get" }).click();
      const panel = page.getByTestId("graph-panel");
      assert.match(await panel.innerText(), /cart\.get\s+cart\s+1 span · 40(\.0)?ms total/);
      await panel.getByRole("button", { name: "Collapse 1 below" }).click();
      assert.equal(await nodes.count(), 4);
      await panel.getByRole("button", { name: "Expand 1 below" }).click();
      assert.equal(await nodes.count(), 5);
      await panel.getByRole("button", { name: "Open in timeline" }).click();
      await page.getByTestId("span-detail").filter({ hasText: "cart.get" }).waitFor();
      assert.equal(new URL(page.url()).searchParams.get("view"), null);
    },
  );

  await t.test("statistics: per operation, sorting, grouping by a tag", async () => {
    await page.goto(`${ui}/trace/${a.traceId}?view=statistics`);
    const table = page.getByTestId("stats-table");
    await table.waitFor();
    assert.equal(await table.locator("tbody tr").count(), 5);
    const select = table.locator("tbody tr").filter({ hasText: "SELECT cart" });
    // count 2, errors 0, total 30ms, avg 15ms, min 10ms, max 20ms, self = total (no children).
    assert.match(
      await select.innerText(),
      /db\s+SELECT cart\s+2\s+0\s+30(\.0)?ms\s+15(\.0)?ms\s+10(\.0)?ms\s+20(\.0)?ms\s+30(\.0)?ms/,
    );
    // The root's self time: 200ms less cart.get (10..50), charge (60..160), render (170..190).
    assert.match(
      await table.locator("tbody tr").filter({ hasText: "POST /checkout" }).innerText(),
      /\s40(\.0)?ms\s+40(\.0)?ms\s+20\.0%/,
    );
    await table.getByRole("button", { name: "Count" }).click();
    assert.match(await table.locator("tbody tr").first().innerText(), /SELECT cart/);
    await page.getByLabel("Group by tag").selectOption("db.statement");
    await table.locator("thead").getByText("db.statement").waitFor();
    assert.equal(await table.locator("tbody tr").filter({ hasText: "SELECT cart" }).count(), 2);
    assert.equal(
      await table.locator("tbody tr").filter({ hasText: "SELECT * FROM cart" }).count(),
      1,
    );
    await shot(page, "view-statistics");
  });

  await t.test(
    "spans table: filter, errors only, sort, a row opens the span in the timeline",
    async () => {
      await page.goto(`${ui}/trace/${a.traceId}?view=table`);
      const table = page.getByTestId("spans-table");
      await table.waitFor();
      const trs = table.getByTestId("spans-row");
      assert.equal(await trs.count(), 6);
      await page.getByLabel("Filter spans").fill("SELECT");
      assert.equal(await trs.count(), 2);
      await page.getByLabel("Filter spans").fill("");
      await page.getByLabel("Errors only").check();
      assert.equal(await trs.count(), 1);
      assert.match(await trs.first().innerText(), /payments\s+charge/);
      await page.getByLabel("Errors only").uncheck();
      await table.getByRole("button", { name: "Duration" }).click();
      assert.match(await trs.first().innerText(), /POST \/checkout/);
      await table.getByRole("button", { name: "Duration" }).click();
      assert.match(await trs.first().innerText(), /SELECT cart.*10(\.0)?ms/s);
      await shot(page, "view-table");
      await trs.filter({ hasText: "charge" }).click();
      await page.getByTestId("span-status").filter({ hasText: "ERROR: card declined" }).waitFor();
      assert.equal(new URL(page.url()).searchParams.get("span"), a.spanIds[3]);
    },
  );

  await t.test("flamegraph: hover names the span, a click zooms to it, reset", async () => {
    await page.goto(`${ui}/trace/${a.traceId}?view=flamegraph`);
    const canvas = page.getByTestId("flamegraph");
    await canvas.waitFor();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + 10);
    await page.getByTestId("flame-hover").filter({ hasText: "POST /checkout" }).waitFor();
    // Row 2 at 110ms of 200ms is the payments call.
    await page.mouse.click(box.x + box.width * 0.55, box.y + 30);
    await page.getByTestId("flame-focus").filter({ hasText: "charge" }).waitFor();
    await page.mouse.move(box.x + box.width * 0.5, box.y + 10);
    await page.getByTestId("flame-hover").filter({ hasText: "charge" }).waitFor();
    await shot(page, "view-flamegraph");
    await page.getByRole("button", { name: "Up" }).click();
    await page.getByTestId("flame-focus").filter({ hasText: "POST /checkout" }).waitFor();
    await page.getByRole("button", { name: "Reset zoom" }).click();
    assert.equal(await page.getByTestId("flame-focus").count(), 0);
  });

  await t.test("JSON: Jaeger's form and OTLP, pretty or raw", async () => {
    await page.goto(`${ui}/trace/${a.traceId}?view=json`);
    const pre = page.getByTestId("json-text");
    await pre.waitFor();
    assert.match(await pre.innerText(), new RegExp(`"traceID": "${a.traceId}"`));
    await page.getByLabel("Pretty").uncheck();
    assert.match(await pre.innerText(), new RegExp(`^\\{"data":\\[\\{"traceID":"${a.traceId}"`));
    await page.getByLabel("Pretty").check();
    await page.getByText("OTLP", { exact: true }).click();
    await pre.filter({ hasText: '"resourceSpans"' }).waitFor();
    assert.match(await pre.innerText(), /"name": "charge"/);
  });

  await t.test("in-trace find matches names and values; keys only with the toggle", async () => {
    await openTrace(page, ui, a.traceId);
    await page.getByLabel("Find in trace").fill("get_count");
    assert.equal(await page.getByTestId("match-count").textContent(), "no match");
    await page.getByLabel("Keys").check();
    assert.equal(await page.getByTestId("match-count").textContent(), "1 of 1");
    await page.getByLabel("Keys").uncheck();
    await page.getByLabel("Find in trace").fill("cart:7");
    assert.equal(await page.getByTestId("match-count").textContent(), "1 of 1");
    await page.getByLabel("Find in trace").fill("payments");
    assert.equal(await page.getByTestId("match-count").textContent(), "1 of 1");
  });

  await t.test("compare: Jaeger's diff graph marks only-in-A, only-in-B and changed", async () => {
    await page.goto(`${ui}/trace/${a.traceId}...${b.traceId}`);
    const graph = page.getByTestId("diff-graph");
    await graph.waitFor();
    const node = (text: string) => graph.locator(".graph-node").filter({ hasText: text });
    assert.match((await node("charge").getAttribute("class"))!, /diff-only-a/);
    assert.match((await node("cache.lookup").getAttribute("class"))!, /diff-only-b/);
    assert.match((await node("SELECT cart").getAttribute("class"))!, /diff-changed/);
    assert.match(await node("SELECT cart").innerHTML(), /A ×2.*B ×3/s);
    // render: same count, 20ms vs 10ms mean: changed by duration. cart.get 40 -> 90ms too.
    assert.match((await node("cart.get").getAttribute("class"))!, /diff-changed/);
    assert.match(await page.getByTestId("diff").innerText(), /only in A \(1\)\s*only in B \(1\)/);
    await node("charge").click();
    const panel = page.getByTestId("diff-panel");
    assert.match(await panel.innerText(), /charge.*only in A.*A: ×1.*B: —/s);
    await shot(page, "compare-diff");
    await panel.getByRole("link", { name: "open in A" }).click();
    await page.getByTestId("span-detail").filter({ hasText: "card declined" }).waitFor();
  });

  await t.test("system architecture: services, calls on the edges, a service's panel", async () => {
    await page.goto(`${ui}/search`);
    await page.getByRole("link", { name: "System Architecture" }).click();
    const graph = page.getByTestId("dependency-graph");
    await graph.waitFor();
    const table = page.getByTestId("dependency-table");
    await table.waitFor();
    const links = (await table.locator("tbody tr").allInnerTexts()).map((r) => r.split(/\s+/));
    const calls = (from: string, to: string) =>
      links.find((r) => r[0] === from && r[1] === to)?.[2];
    // A and B: frontend calls cart twice, cart calls db five times; payments and cache once.
    assert.equal(calls("cart", "db"), "5");
    assert.equal(calls("frontend", "cart"), "2");
    assert.equal(calls("frontend", "payments"), "1");
    assert.equal(calls("frontend", "cache"), "1");
    for (const s of ["frontend", "cart", "db", "payments", "cache"]) {
      assert.equal(await graph.locator(`.graph-node[data-node-id="${s}"]`).count(), 1, s);
    }
    assert.ok((await graph.locator(".graph-edge-label").allTextContents()).includes("5 calls"));
    await graph.locator('.graph-node[data-node-id="cart"]').click();
    const panel = page.getByTestId("service-panel");
    assert.match(await panel.innerText(), /cart.*→ db: 5.*← frontend: 2/s);
    assert.deepEqual(await injected(page), CLEAN);
    await shot(page, "dependencies");
    await panel.getByRole("link", { name: "Find its traces" }).click();
    await page.getByTestId("result-count").filter({ hasText: "2 traces" }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get("service"), "cart");
    await page.goto(`${ui}/dependencies?lookback=1h`);
    await page.getByLabel("Lookback").selectOption("7d");
    await page.waitForURL(/lookback=7d/);
    await graph.waitFor();
  });

  await t.test(
    "the top bar's trace-id box opens a trace, two open compare, junk gets a sentence",
    async () => {
      await page.goto(`${ui}/search`);
      const box = page.getByLabel("Trace ID");
      await box.fill(`  ${a.traceId.toUpperCase()} `);
      await box.press("Enter");
      await page.locator('[data-testid="trace-ready"]').waitFor({ state: "attached" });
      assert.equal(new URL(page.url()).pathname, `/trace/${a.traceId}`);
      await box.fill(`${a.traceId} ${b.traceId}`);
      await box.press("Enter");
      await page.getByTestId("diff-graph").waitFor();
      await box.fill(XSS.img);
      await box.press("Enter");
      await page.getByRole("alert").filter({ hasText: "1 to 32 hexadecimal digits" }).waitFor();
      assert.equal(new URL(page.url()).pathname, `/trace/${a.traceId}...${b.traceId}`);
    },
  );

  await t.test("search over a custom time range", async () => {
    await page.goto(`${ui}/search?service=frontend`);
    await page.getByTestId("result-count").filter({ hasText: "2 traces" }).waitFor();
    await page.locator('select[name="lookback"]').selectOption("custom");
    const local = (ms: number) => {
      const d = new Date(ms);
      const p = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    };
    // A window that ends before the traces (sent ~5 s in the past) finds nothing; one around them finds both.
    await page.locator('input[name="from"]').fill(local(Date.now() - 3600e3));
    await page.locator('input[name="to"]').fill(local(Date.now() - 1800e3));
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByText("No traces found").waitFor();
    const url = new URL(page.url());
    assert.equal(url.searchParams.get("lookback"), "custom");
    assert.ok(Number(url.searchParams.get("end")) < Date.now() * 1000 - 1700e6);
    await page.locator('input[name="to"]').fill(local(Date.now() + 60e3));
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByTestId("result-count").filter({ hasText: "2 traces" }).waitFor();
    // The range survives a reload (it is in the URL) and a backwards one is refused.
    await page.reload();
    assert.equal(await page.locator('select[name="lookback"]').inputValue(), "custom");
    await page.locator('input[name="from"]').fill(local(Date.now() + 7200e3));
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByRole("alert").filter({ hasText: "the start must be before the end" }).waitFor();
  });

  await t.test(
    "an uploaded trace survives a reload (IndexedDB) and says where it came from",
    async () => {
      const res = await fetch(`${ui}/api/traces/${a.traceId}`);
      const file = (await res.json()) as { data: Array<{ traceID: string }> };
      file.data[0]!.traceID = "abcdefabcdefabcdefabcdefabcdef12";
      await page.goto(`${ui}/search`);
      await page.getByTestId("upload-input").setInputFiles({
        name: "checkout-incident.json",
        mimeType: "application/json",
        buffer: Buffer.from(JSON.stringify(file)),
      });
      await page.waitForURL(/\/trace\/abcdefabcdefabcdefabcdefabcdef12$/);
      assert.match(await page.getByTestId("upload-origin").innerText(), /checkout-incident\.json/);
      await page.reload();
      await page.getByTestId("upload-origin").waitFor();
      assert.equal(await page.getByTestId("span-total").textContent(), "6");
      await page.goto(`${ui}/search`);
      await page.getByRole("link", { name: "1 trace opened from files" }).click();
      await page
        .getByTestId("result-count")
        .filter({ hasText: "Uploaded traces: 1 trace" })
        .waitFor();
      assert.match(await page.locator(".trace-item").innerText(), /from checkout-incident\.json/);
      assert.match(
        await page.getByTestId("upload-note").innerText(),
        /kept in this browser \(IndexedDB\)/,
      );
    },
  );

  await t.test("the home page says where the data lives and how big it is", async () => {
    await page.goto(`${ui}/search`);
    const home = page.getByTestId("data-home");
    await home.waitFor();
    assert.match(
      await home.innerText(),
      /^16 spans stored in memory .*, [\d.]+ (KiB|MiB) \(the oldest are dropped past 256 MiB\); spans older than 7d are dropped\.$/,
    );
    await shot(page, "home");
  });

  await t.test("hostile strings stay inert text in every view", async () => {
    const seen: string[] = [];
    for (const view of ["timeline", "graph", "statistics", "table", "flamegraph", "json"]) {
      await page.goto(`${ui}/trace/${hostile.traceId}?view=${view}`);
      await page.locator('[data-testid="trace-ready"]').waitFor({ state: "attached" });
      if (view === "graph") await page.locator(".graph-node").first().click();
      if (view === "statistics") await page.getByLabel("Group by tag").selectOption(XSS.svg);
      if (view === "flamegraph") {
        const box = (await page.getByTestId("flamegraph").boundingBox())!;
        await page.mouse.click(box.x + box.width * 0.3, box.y + 30);
        await page.getByTestId("flame-focus").waitFor();
      }
      if (view === "timeline") await rows(page).first().locator(".span-label").click();
      seen.push(await page.locator("body").innerText());
      assert.deepEqual(await injected(page), CLEAN, `${view} view`);
    }
    await page.goto(`${ui}/trace/${hostile.traceId}...${a.traceId}`);
    await page.getByTestId("diff-graph").waitFor();
    await page.locator(".graph-node").first().click();
    assert.deepEqual(await injected(page), CLEAN, "diff graph");
    // The payloads show literally (SVG <title>s hold the graph's full strings).
    const all = seen.join("\n");
    for (const p of [XSS.img, XSS.script, XSS.js, XSS.svg])
      assert.ok(all.includes(p), `shown: ${p}`);
    await page.goto(`${ui}/trace/${hostile.traceId}?view=graph`);
    await page.locator(".graph-node").first().waitFor();
    await shot(page, "xss-graph");
    assert.deepEqual(dialogs, []);
  });

  await t.test("dark mode reaches the new views", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${ui}/trace/${a.traceId}?view=graph`);
    const rect = page.locator(".graph-node rect").first();
    await rect.waitFor();
    assert.equal(await computedStyle(rect, "fill"), "rgb(34, 39, 51)");
    await shot(page, "view-graph-dark");
    await page.goto(`${ui}/trace/${a.traceId}?view=table`);
    await page.getByTestId("spans-row").first().waitFor();
    await shot(page, "view-table-dark");
    await page.emulateMedia({ colorScheme: "light" });
  });

  await t.test("no page errors, no console errors, no dialogs", () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(dialogs, []);
  });
});
