// Browser tests of the trace page's views (Trace Graph, Statistics, Spans Table, Flamegraph,
// JSON) and Compare's diff graph on a seeded multi-service trace with errors, links and events,
// and hostile strings through every one of them. Headless Chromium against the real viewer.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import type { Page } from "playwright-core";
import {
  computedStyle,
  DIST,
  launch,
  openTrace,
  rows,
  shot,
  skip,
  XSS,
} from "./browser-harness.ts";
import { CLEAN, injected, seededViewer, watch } from "./browser-seed.ts";

const tab = (page: Page, view: string) => page.locator(`.view-switcher [data-view="${view}"]`);

test("trace views and compare in Chromium", { skip, timeout: 180_000 }, async (t) => {
  assert.ok(
    existsSync(DIST),
    "web/dist is missing: run `npm run build -w @periscope/trace-viewer`",
  );
  const { viewer, ui, a, b, hostile } = await seededViewer();
  t.after(() => viewer.close());
  const { browser, close } = await launch();
  t.after(close);
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15_000);
  const { errors, dialogs } = watch(page);

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
