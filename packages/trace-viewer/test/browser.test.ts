// Browser tests of the viewer's web UI: headless Debian Chromium driven by playwright-core against
// the real viewer (in-process, in-memory), fed over OTLP/HTTP protobuf by the official exporter.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
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

test("web UI in Chromium against the real viewer", { skip, timeout: 120_000 }, async (t) => {
  assert.ok(
    existsSync(DIST),
    "web/dist is missing: run `npm run build -w @periscope/trace-viewer` (npm ci does it)",
  );
  const viewer = await startViewer({
    ui: "127.0.0.1:0",
    otlpHttp: "127.0.0.1:0",
    otlpGrpc: false,
    jaegerCompact: false,
    jaegerBinary: false,
    jaegerHttp: false,
    zipkin: false,
    jaegerGrpc: false,
    inMemory: true,
  });
  t.after(() => viewer.close());
  const ui = viewer.uiUrl;
  const otlp = viewer.otlpHttpUrl!;

  const shop = await sendTrace(
    otlp,
    "mini-redis",
    [
      { name: "GET /users/:id", at: 0, ms: 120, attributes: { "http.status_code": 200 } },
      {
        name: "db.query",
        parent: 0,
        at: 10,
        ms: 60,
        attributes: { "db.statement": "SELECT * FROM users WHERE id = $1", "db.rows": 1 },
        events: [{ name: "cache miss", at: 12, attributes: { key: "user:42" } }],
      },
      { name: "redis GET", parent: 0, at: 75, ms: 30, error: "connection reset" },
      { name: "render", parent: 0, at: 106, ms: 10, linkTo: 1 },
    ],
    { "host.name": "box-1" },
  );
  const shop2 = await sendTrace(otlp, "mini-redis", [
    { name: "GET /users/:id", at: 200, ms: 80 },
    { name: "db.query", parent: 0, at: 210, ms: 20 },
    { name: "db.query", parent: 0, at: 240, ms: 20 },
  ]);
  const hostile = await sendTrace(
    otlp,
    "xss-svc",
    [
      {
        name: XSS.img,
        at: 0,
        ms: 50,
        attributes: { [XSS.script]: XSS.img, "http.url": XSS.js, note: XSS.svg },
        events: [{ name: XSS.img, at: 5, attributes: { link: XSS.js } }],
        error: XSS.script,
      },
      { name: XSS.svg, parent: 0, at: 5, ms: 20 },
    ],
    { "host.name": XSS.img },
  );

  const { browser, close } = await launch();
  t.after(close);
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => errors.push(e.message));

  await t.test("search: pick the service, Find Traces, open the trace, read a span", async () => {
    await page.goto(`${ui}/search`);
    // Before any search, the page says where to send traces: this viewer's own OTLP address.
    await page
      .getByTestId("getting-started")
      .filter({ hasText: `${otlp}/v1/traces` })
      .waitFor();
    await shot(page, "search-empty");
    const service = page.locator('select[name="service"]');
    await service.locator('option[value="mini-redis"]').waitFor({ state: "attached" });
    await service.selectOption("mini-redis");
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByTestId("result-count").filter({ hasText: "2 traces" }).waitFor();
    assert.match(page.url(), /\/search\?service=mini-redis&/);
    // Both traces are in the list and on the scatter plot; the one with an error is red.
    assert.equal(await page.locator(".trace-item").count(), 2);
    assert.equal(await page.locator(".scatter circle").count(), 2);
    assert.equal(await page.locator(".scatter circle.error").count(), 1);
    await shot(page, "search-light");

    await page.locator(".trace-item.has-error .trace-title").click();
    await page.locator('[data-testid="trace-ready"]').waitFor({ state: "attached" });
    assert.equal(new URL(page.url()).pathname, `/trace/${shop.traceId}`);
    assert.equal(await page.getByTestId("span-total").textContent(), "4");
    assert.equal(await rows(page).count(), 4);

    await rows(page).filter({ hasText: "db.query" }).locator(".span-label").click();
    const detail = page.getByTestId("span-detail");
    await detail.waitFor();
    const attrs = detail.getByTestId("span-attributes");
    assert.match(await attrs.innerText(), /db\.statement\s+SELECT \* FROM users WHERE id = \$1/);
    assert.match(await attrs.innerText(), /db\.rows\s+1/);
    assert.match(await detail.getByTestId("span-resource").innerText(), /host\.name\s+box-1/);
    assert.match(await detail.innerText(), /cache miss/);
    await shot(page, "trace-light");

    // The failed span says so, with the status message.
    await page.locator('.span-label[title="mini-redis redis GET"]').click();
    assert.match(
      await page.getByTestId("span-status").filter({ hasText: "ERROR" }).innerText(),
      /ERROR: connection reset/,
    );
  });

  await t.test("search filters: logfmt tags, min duration, sorting, the scatter plot", async () => {
    await page.goto(`${ui}/search?service=mini-redis`);
    await page.getByTestId("result-count").filter({ hasText: "2 traces" }).waitFor();
    // Tags go to the API as Jaeger's JSON; only the trace with a failed span matches.
    await page.locator('input[name="tags"]').fill("error=true");
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByTestId("result-count").filter({ hasText: "1 trace" }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get("tags"), '{"error":"true"}');
    assert.equal(await page.locator(".trace-item.has-error").count(), 1);
    // Malformed logfmt is refused with a sentence, and no search runs.
    await page.locator('input[name="tags"]').fill('msg="unclosed');
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByRole("alert").filter({ hasText: "unterminated quote" }).waitFor();
    await page.locator('input[name="tags"]').fill("");
    await page.locator('input[name="minDuration"]').fill("100ms");
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByTestId("result-count").filter({ hasText: "1 trace" }).waitFor();
    assert.match(await page.locator(".trace-duration").innerText(), /120ms/);
    await page.locator('input[name="minDuration"]').fill("");
    await page.getByRole("button", { name: "Find Traces" }).click();
    await page.getByTestId("result-count").filter({ hasText: "2 traces" }).waitFor();
    const durations = () => page.locator(".trace-duration").allInnerTexts();
    await page.getByLabel("Sort traces").selectOption("shortest");
    assert.deepEqual(await durations(), ["80.0ms", "120ms"]);
    await page.getByLabel("Sort traces").selectOption("longest");
    assert.deepEqual(await durations(), ["120ms", "80.0ms"]);
    await page.getByLabel("Sort traces").selectOption("most-spans");
    assert.match(await page.locator(".trace-item").first().innerText(), /4 spans/);
    // A red dot opens the failed trace.
    await page.locator(".scatter circle.error").click();
    await page.waitForURL(new RegExp(`/trace/${shop.traceId}$`));
  });

  await t.test("in-trace search, collapse and expand, critical path", async () => {
    await openTrace(page, ui, shop.traceId);
    await page.getByLabel("Find in trace").fill("user:42");
    assert.equal(await page.getByTestId("match-count").textContent(), "1 of 1");
    assert.equal(await page.locator(".span-row.match").count(), 1);
    assert.equal(await page.locator(".span-row.dim").count(), 3);
    await page.getByLabel("Find in trace").fill("");

    await page.getByRole("button", { name: "Collapse all" }).click();
    assert.equal(await rows(page).count(), 1);
    // Stepping to a match inside a collapsed span expands its ancestors.
    await page.getByLabel("Find in trace").fill("connection reset");
    await page.getByLabel("Find in trace").press("Enter");
    await page.locator(".span-row.active").filter({ hasText: "redis GET" }).waitFor();
    assert.equal(await rows(page).count(), 4);
    await page.getByLabel("Find in trace").fill("");
    await page.getByRole("button", { name: "Collapse all" }).click();
    await page.getByRole("button", { name: /^Expand children/ }).click();
    assert.equal(await rows(page).count(), 4);
    // Dragging across the minimap zooms the timeline to that time window.
    const ticks = () => page.locator(".ticks .tick").allInnerTexts();
    assert.deepEqual((await ticks()).at(-1), "120ms");
    // The root's duration label is beside its bar, not on it.
    const rootRow = rows(page).first();
    const rootBar = (await rootRow.locator(".span-bar").boundingBox())!;
    const rootDur = (await rootRow.getByTestId("span-dur").boundingBox())!;
    assert.ok(rootDur.x >= rootBar.x + rootBar.width - 0.5, "root label after its bar");
    const box = (await page.getByTestId("minimap").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + 10, { steps: 4 });
    await page.mouse.up();
    await page.getByRole("button", { name: "Reset zoom" }).waitFor();
    assert.equal((await ticks())[0], "60.0ms");
    assert.equal((await ticks()).at(-1), "90.0ms");
    // A span wholly after the window (render, 106..116ms) gets a muted label at the right edge
    // with an arrow, not white text on nothing; the cut root bar keeps its label inside.
    const renderDur = rows(page).filter({ hasText: "render" }).getByTestId("span-dur");
    assert.equal(await renderDur.getAttribute("class"), "span-dur off-right");
    assert.equal(await renderDur.innerText(), "10.0ms ▸");
    assert.notEqual(await computedStyle(renderDur, "color"), "rgb(255, 255, 255)");
    assert.equal(await rootRow.getByTestId("span-dur").getAttribute("class"), "span-dur inside");
    await page.getByRole("button", { name: "Reset zoom" }).click();
    assert.equal((await ticks()).at(-1), "120ms");
    // The keyboard walks the tree: ↓ to the next row, ← on the root collapses it, → expands.
    const focused = () => page.evaluate("document.activeElement?.getAttribute('title')");
    await page.locator(".span-label").first().focus();
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(), "mini-redis db.query");
    await page.keyboard.press("ArrowLeft");
    assert.equal(await focused(), "mini-redis GET /users/:id");
    await page.keyboard.press("ArrowLeft");
    assert.equal(await rows(page).count(), 1);
    await page.keyboard.press("ArrowRight");
    assert.equal(await rows(page).count(), 4);
    await page.keyboard.press("End");
    assert.equal(await focused(), "mini-redis render");
    assert.ok((await page.locator(".crit").count()) >= 2, "critical path drawn");
    await page.getByLabel("Critical path").uncheck();
    assert.equal(await page.locator(".crit").count(), 0);

    // A link in the span's details jumps to the linked span.
    await rows(page).filter({ hasText: "render" }).locator(".span-label").click();
    await page
      .getByTestId("span-detail")
      .getByRole("button", { name: /db\.query/ })
      .click();
    assert.equal(await page.getByTestId("span-detail").count(), 2);
  });

  await t.test("hostile span strings render as inert text", async () => {
    await page.goto(`${ui}/search?service=xss-svc&lookback=1h&limit=20`);
    await page.getByTestId("result-count").waitFor();
    await openTrace(page, ui, hostile.traceId);
    await rows(page).first().locator(".span-label").click();
    await page.getByTestId("span-detail").waitFor();
    await page
      .getByRole("button", { name: /^Expand|^Collapse/ })
      .first()
      .focus();
    await shot(page, "xss");
    const body = await page.locator("body").innerText();
    for (const payload of [XSS.img, XSS.script, XSS.js, XSS.svg]) {
      assert.ok(body.includes(payload), `payload shown literally: ${payload}`);
    }
    const injected = await page.evaluate(
      `({
        xss: window.__xss ?? null,
        img: document.querySelectorAll("img").length,
        handlers: document.querySelectorAll("[onerror],[onload],[onclick]").length,
        jsLinks: [...document.querySelectorAll("a")].filter((a) => /^\\s*javascript:/i.test(a.getAttribute("href") ?? "")).length,
        scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
      })`,
    );
    assert.deepEqual(injected, { xss: null, img: 0, handlers: 0, jsLinks: 0, scripts: 0 });
    assert.deepEqual(dialogs, []);
  });

  await t.test("a 10,000-span trace keeps only the visible rows in the DOM", async () => {
    const specs: SpanSpec[] = [{ name: "bulk load", at: 0, ms: 10_000 }];
    for (let i = 1; i < 10_000; i++) {
      specs.push({ name: `step ${i}`, parent: i < 100 ? 0 : i % 100, at: i, ms: 5 });
    }
    const big = await sendTrace(otlp, "big", specs);
    await openTrace(page, ui, big.traceId);
    assert.equal(await page.getByTestId("span-total").textContent(), "10000");
    const inDom = await rows(page).count();
    assert.ok(inDom > 10 && inDom < 200, `rows in the DOM: ${inDom}`);
    // Scroll to the end: the last span shows up, and the DOM stays small.
    // Steps 100, 200, … 9900 hang off the root (i % 100 === 0), so 9900 is the last row.
    const lastOp = "step 9900";
    await page.getByTestId("timeline-scroll").evaluate((el) => {
      // (Typed loosely: the repo's tsconfig has no DOM library.)
      const box = el as unknown as { scrollTop: number; scrollHeight: number };
      box.scrollTop = box.scrollHeight;
    });
    await rows(page).filter({ hasText: lastOp }).first().waitFor();
    assert.ok((await rows(page).count()) < 200);
    await shot(page, "big-trace");
    // A click halfway down the minimap scrolls the timeline to the middle of the trace.
    const map = page.getByTestId("minimap");
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(`(() => {
      const el = document.querySelector('[data-testid="timeline-scroll"]');
      return el !== null && Math.abs(el.scrollTop / el.scrollHeight - 0.5) < 0.05;
    })()`);
  });

  await t.test("dark mode follows the system, and the toggle wins and is kept", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${ui}/search?service=mini-redis`);
    await page.getByTestId("result-count").waitFor();
    assert.equal(await page.evaluate("document.documentElement.dataset.theme"), "dark");
    const bg = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    assert.equal(bg, "rgb(18, 21, 27)");
    await shot(page, "search-dark");
    await openTrace(page, ui, shop.traceId);
    await rows(page).filter({ hasText: "db.query" }).locator(".span-label").click();
    await shot(page, "trace-dark");
    await page.getByTestId("theme-toggle").click();
    assert.equal(await page.evaluate("document.documentElement.dataset.theme"), "light");
    await page.reload();
    assert.equal(await page.evaluate("document.documentElement.dataset.theme"), "light");
    await page.getByTestId("theme-toggle").click();
    await page.emulateMedia({ colorScheme: "light" });
  });

  await t.test("compare two traces: span counts per operation", async () => {
    // Tick both traces in the search results, then Compare (Jaeger's /trace/{a}...{b} URL).
    await page.goto(`${ui}/search?service=mini-redis&lookback=1h&limit=20`);
    await page.getByTestId("result-count").waitFor();
    for (const id of [shop.traceId, shop2.traceId]) {
      await page.getByLabel(`Select trace ${id} to compare`).check();
    }
    await page.getByRole("button", { name: "Compare 2/2" }).click();
    await page.waitForURL(new RegExp(`/trace/(${shop.traceId}|${shop2.traceId})\\.\\.\\.`));
    const table = page.getByTestId("compare-ops");
    await table.waitFor();
    const text = await table.innerText();
    assert.match(text, /mini-redis: db\.query\s+1\s+2\s+\+1/);
    assert.match(text, /mini-redis: redis GET\s+1\s+0\s+-1/);
    await shot(page, "compare");
    // The same URL loaded directly (a shared link) works too.
    await page.goto(`${ui}/trace/${shop2.traceId}...${shop.traceId}`);
    await page.getByTestId("compare-ops").waitFor();
    assert.match(await page.getByTestId("compare-ops").innerText(), /db\.query\s+2\s+1\s+-1/);
  });

  await t.test("trace JSON downloads, and an uploaded file opens", async () => {
    await openTrace(page, ui, shop.traceId);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByTestId("download").click(),
    ]);
    const file = JSON.parse(readFileSync((await download.path())!, "utf8"));
    assert.equal(file.data[0].traceID, shop.traceId);
    assert.equal(file.data[0].spans.length, 4);
    // The same file, under another id, is read back by the upload button.
    file.data[0].traceID = "feedfacefeedfacefeedfacefeedface";
    file.data[0].spans[0].operationName = "uploaded root";
    await page.getByTestId("upload-input").setInputFiles({
      name: "trace.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(file)),
    });
    await page.waitForURL(/\/trace\/feedfacefeedfacefeedfacefeedface$/);
    await rows(page).filter({ hasText: "uploaded root" }).waitFor();
    assert.equal(await page.getByTestId("span-total").textContent(), "4");
    await page.getByTestId("upload-input").setInputFiles({
      name: "bad.json",
      mimeType: "application/json",
      buffer: Buffer.from("{oops"),
    });
    await page.getByRole("alert").filter({ hasText: "not JSON" }).waitFor();
  });

  await t.test("live tail shows a trace that arrives", async () => {
    await page.goto(`${ui}/tail`);
    await page.getByTestId("tail-table").waitFor({ state: "attached" });
    await sendTrace(otlp, "mini-redis", [{ name: "tail me", at: 1_000, ms: 3 }]);
    await page.getByTestId("tail-table").getByText("tail me").waitFor();
    await shot(page, "tail");
  });

  await t.test("Jaeger's uiFind link parameter fills the in-trace search", async () => {
    await page.goto(`${ui}/trace/${shop.traceId}?uiFind=SELECT`);
    await page.getByTestId("match-count").filter({ hasText: "1 of 1" }).waitFor();
    assert.equal(await page.locator(".span-row.match").count(), 1);
  });

  await t.test("an unknown trace id gets a sentence, not a blank page", async () => {
    await page.goto(`${ui}/trace/0123456789abcdef0123456789abcdef`);
    await page.getByRole("alert").filter({ hasText: "No trace 0123456789abcdef" }).waitFor();
  });

  await t.test("no page errors, no dialogs", () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(dialogs, []);
  });
});
