// Browser tests of the viewer's pages beyond a trace: System Architecture, Monitor, the top
// bar's trace-id box, the custom time range, uploads kept in IndexedDB and the home page, on the
// seeded multi-service traces. Headless Chromium against the real viewer.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { DIST, launch, SpanKind, sendTrace, shot, skip, XSS } from "./browser-harness.ts";
import { CLEAN, injected, seededViewer, watch } from "./browser-seed.ts";

/** OTLP/JSON of server calls of two operations over `minutes` minutes ending at `endMs`. */
function backdatedCalls(service: string, endMs: number, minutes: number) {
  const spans = [];
  let n = 0;
  for (let k = 0; k < minutes; k++) {
    const minute = endMs - (minutes - k) * 60e3;
    const calls = 4 + ((k * 7) % 11);
    for (let i = 0; i < calls; i++) {
      const list = i % 3 !== 0;
      const ms = list ? 12 + ((k * 13 + i * 5) % 30) : 60 + ((k * 29 + i * 17) % 160);
      const start = BigInt(Math.round(minute + i * 1000)) * 1_000_000n;
      n++;
      spans.push({
        traceId: n.toString(16).padStart(32, "f"),
        spanId: n.toString(16).padStart(16, "0"),
        name: list ? "GET /list" : "POST /order",
        kind: 2,
        startTimeUnixNano: String(start),
        endTimeUnixNano: String(start + BigInt(ms) * 1_000_000n),
        ...(!list && (k + i) % 4 === 0 ? { status: { code: 2 } } : {}),
      });
    }
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: "backdated" }, spans }],
      },
    ],
  };
}

async function postOtlpJson(otlp: string, body: unknown): Promise<void> {
  const r = await fetch(`${otlp}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200);
}

test("system architecture, monitor, lookup, custom range, uploads, home page in Chromium", {
  skip,
  timeout: 180_000,
}, async (t) => {
  assert.ok(
    existsSync(DIST),
    "web/dist is missing: run `npm run build -w @periscope/trace-viewer`",
  );
  const { viewer, ui, otlp, a, b } = await seededViewer();
  /** Spans stored: the seeded 16, then what the Monitor subtest adds. */
  let stored = 16;
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
    const labels = await graph.locator(".graph-edge-label").allTextContents();
    assert.ok(labels.includes("5 calls"));
    // The charge failed: frontend -> payments is one call, all of it an error, drawn in red.
    assert.ok(labels.includes("1 call, 100.0% errors"), labels.join(" | "));
    assert.equal(await graph.locator(".graph-edge.has-errors").count(), 1);
    const errorsOf = (from: string, to: string) =>
      links
        .find((r) => r[0] === from && r[1] === to)
        ?.slice(3)
        .join(" ");
    assert.equal(errorsOf("frontend", "payments"), "1 (100.0%)");
    assert.equal(errorsOf("cart", "db"), "0 (0.0%)");
    // The hostile trace's services call each other: their names are text, nothing runs.
    for (const name of [XSS.svg, XSS.script, XSS.img]) {
      assert.equal(await graph.locator(".graph-node", { hasText: name }).count(), 1, name);
    }
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
    "monitor: a service's RED charts and operations; a point opens its traces",
    async () => {
      // Server spans of a service of their own, in the current minute: one call of two failed.
      await sendTrace(otlp, "shop", [
        { name: "GET /item", at: 0, ms: 30, kind: SpanKind.SERVER },
        { name: XSS.img, parent: 0, at: 5, ms: 5, kind: SpanKind.SERVER },
      ]);
      await sendTrace(otlp, "shop", [
        { name: "GET /item", at: 0, ms: 90, kind: SpanKind.SERVER, error: "out of stock" },
      ]);
      // And an hour of other calls, minute by minute (ending 3 minutes ago), so the charts have a shape.
      const hour = backdatedCalls("shop", Date.now() - 3 * 60e3, 57);
      await postOtlpJson(otlp, hour);
      stored += 3 + hour.resourceSpans[0]!.scopeSpans[0]!.spans.length;
      await page.goto(`${ui}/search`);
      await page.getByRole("link", { name: "Monitor" }).click();
      // The first service is picked; here a hostile name, shown as text.
      await page.waitForURL(/\/monitor\?service=/);
      await page.getByTestId("monitor-scope").waitFor();
      assert.deepEqual(await injected(page), CLEAN);
      await page.getByLabel("Service").selectOption("shop");
      const table = page.getByTestId("ops-table");
      await page
        .getByTestId("monitor-scope")
        .filter({ hasText: "shop, all server operations" })
        .waitFor();
      const rows = await table.locator("tbody tr").allInnerTexts();
      const get = rows.find((r) => r.startsWith("GET /item"));
      assert.ok(get, rows.join(" | "));
      assert.match(get, /50\.0%/, "one of the two GET /item calls failed");
      assert.ok(
        rows.some((r) => r.startsWith(XSS.img)),
        "a hostile operation name is a row",
      );
      for (const id of ["chart-latency", "chart-errors", "chart-calls"]) {
        await page.getByTestId(id).locator("canvas").first().waitFor();
      }
      assert.deepEqual(await injected(page), CLEAN);
      await shot(page, "monitor");

      // Hover a chart from its right edge until its legend shows a value, and click there.
      const clickPoint = async (testId: string, isValue: (v: string) => boolean) => {
        const chart = page.getByTestId(testId);
        const box = (await chart.locator(".u-over").boundingBox())!;
        const y = box.y + box.height / 2;
        for (let x = box.x + box.width - 1; x > box.x; x -= 3) {
          await page.mouse.move(x, y);
          const v =
            (await chart.locator(".u-series").nth(1).locator(".u-value").textContent()) ?? "";
          if (isValue(v)) return void (await page.mouse.click(x, y));
        }
        assert.fail(`no point with a value in ${testId}`);
      };
      await clickPoint("chart-calls", (v) => /^\d/.test(v) && v !== "0/s");
      await page.waitForURL(/\/search\?/);
      let u = new URL(page.url());
      assert.equal(u.searchParams.get("service"), "shop");
      assert.equal(u.searchParams.get("lookback"), "custom");
      assert.equal(Number(u.searchParams.get("end")) - Number(u.searchParams.get("start")), 60e6);
      await page.getByTestId("result-count").filter({ hasText: "2 traces" }).waitFor();

      // One operation: the error chart's point opens the failed call's trace only.
      await page.goBack();
      await table.getByRole("button", { name: "GET /item" }).click();
      await page.getByTestId("monitor-scope").filter({ hasText: "shop: GET /item" }).waitFor();
      assert.equal(new URL(page.url()).searchParams.get("operation"), "GET /item");
      await clickPoint("chart-errors", (v) => v === "50.0%");
      await page.waitForURL(/\/search\?/);
      u = new URL(page.url());
      assert.equal(u.searchParams.get("operation"), "GET /item");
      assert.deepEqual(JSON.parse(u.searchParams.get("tags") ?? "{}"), { error: "true" });
      await page.getByTestId("result-count").filter({ hasText: "1 trace" }).waitFor();
    },
  );

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
      new RegExp(
        `^${stored.toLocaleString("en")} spans stored in memory .*, [\\d.]+ (KiB|MiB) \\(the oldest are dropped past 256 MiB\\); spans older than 7d are dropped\\.$`,
      ),
    );
    await shot(page, "home");
  });

  await t.test("no page errors, no console errors, no dialogs", () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(dialogs, []);
  });
});
