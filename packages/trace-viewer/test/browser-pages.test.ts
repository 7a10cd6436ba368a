// Browser tests of the viewer's pages beyond a trace: System Architecture, Monitor, the top
// bar's trace-id box, the custom time range, uploads kept in IndexedDB and the home page, on the
// seeded multi-service traces. Headless Chromium against the real viewer.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { DIST, launch, shot, skip, XSS } from "./browser-harness.ts";
import { CLEAN, injected, seededViewer, watch } from "./browser-seed.ts";

test("system architecture, monitor, lookup, custom range, uploads, home page in Chromium", {
  skip,
  timeout: 180_000,
}, async (t) => {
  assert.ok(
    existsSync(DIST),
    "web/dist is missing: run `npm run build -w @periscope/trace-viewer`",
  );
  const { viewer, ui, a, b } = await seededViewer();
  t.after(() => viewer.close());
  const { browser, close } = await launch();
  t.after(close);
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  const { errors, dialogs } = watch(page);

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

  await t.test("no page errors, no console errors, no dialogs", () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(dialogs, []);
  });
});
