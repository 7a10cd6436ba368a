// Measures how long the viewer's trace page takes to become usable in headless Chromium, for the
// "10,000-span trace page" row of `npm run bench -- viewer` (bench/src/viewer.ts calls it).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.PERISCOPE_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Opens `${uiUrl}/trace/${traceId}` and returns the milliseconds from navigation start until the
 * page marks the timeline ready (first rows committed and a frame painted, so it takes input),
 * then checks that clicking a span opens its details. One warm-up load, then the median of
 * `runs` loads, each a fresh navigation.
 */
export async function measureTracePage(uiUrl: string, traceId: string, runs = 3): Promise<number> {
  const profile = mkdtempSync(join(tmpdir(), "periscope-bench-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const url = `${uiUrl.replace(/\/$/, "")}/trace/${encodeURIComponent(traceId)}`;
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      await page.goto("about:blank");
      await page.goto(url, { waitUntil: "commit" });
      await page.waitForSelector('[data-testid="trace-ready"]', {
        state: "attached",
        timeout: 60_000,
      });
      // performance.now() in the page counts from its navigation start.
      const ready = Number(await page.evaluate("document.documentElement.dataset.traceReady"));
      await page.locator('[data-testid="span-row"] .span-label').first().click();
      await page.waitForSelector('[data-testid="span-detail"]', { timeout: 10_000 });
      if (i > 0) times.push(ready);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] ?? Number.NaN;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
