// What the Chromium tests of the web UI share: where Chromium is, sending traces over OTLP, a
// browser launched headless with a fresh profile, screenshots, and opening a trace page.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";

export { SpanKind };

export const CHROMIUM = process.env.PERISCOPE_CHROMIUM ?? "/usr/bin/chromium";
export const DIST = join(import.meta.dirname, "..", "web", "dist", "index.html");
export const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is missing (apt-get install chromium); CI installs it and runs this`
    : false;
/** Set to a directory to keep screenshots of each page (light and dark) for a human to look at. */
export const SHOTS = process.env.PERISCOPE_SCREENSHOTS;

export const XSS = {
  img: `<img src=x onerror="window.__xss=1;alert(1)">`,
  script: "<script>window.__xss=2</script>",
  js: "javascript:alert(document.domain)",
  svg: `<svg onload="window.__xss=3">`,
};

export interface SpanSpec {
  name: string;
  parent?: number;
  at: number;
  ms: number;
  attributes?: Record<string, string | number | boolean>;
  events?: Array<{ name: string; at: number; attributes?: Record<string, string> }>;
  error?: string;
  linkTo?: number;
  /** Another service than the call's: the span is sent by that service's own SDK provider. */
  service?: string;
  kind?: SpanKind;
}

/** Sends one trace per call through the OTLP proto exporter; returns its id and span ids. */
export async function sendTrace(
  otlpUrl: string,
  service: string,
  specs: SpanSpec[],
  resource: Record<string, string> = {},
): Promise<{ traceId: string; spanIds: string[] }> {
  const providers = new Map<string, BasicTracerProvider>();
  const tracerFor = (name: string) => {
    let provider = providers.get(name);
    if (!provider) {
      provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ "service.name": name, ...resource }),
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }), {
            maxQueueSize: 20_000,
            maxExportBatchSize: 5_000,
          }),
        ],
      });
      providers.set(name, provider);
    }
    return provider.getTracer("periscope-browser-test");
  };
  const t0 = Date.now() - 5_000;
  const spans: Span[] = [];
  for (const s of specs) {
    const parent = s.parent === undefined ? undefined : spans[s.parent];
    const ctx: Context = parent ? trace.setSpan(context.active(), parent) : context.active();
    const linked = s.linkTo === undefined ? undefined : spans[s.linkTo];
    const span = tracerFor(s.service ?? service).startSpan(
      s.name,
      {
        startTime: t0 + s.at,
        kind: s.kind,
        attributes: s.attributes,
        links: linked ? [{ context: linked.spanContext() }] : [],
      },
      ctx,
    );
    for (const e of s.events ?? []) span.addEvent(e.name, e.attributes ?? {}, t0 + e.at);
    if (s.error) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
    spans.push(span);
  }
  for (const [i, s] of specs.entries()) spans[i]!.end(t0 + s.at + s.ms);
  for (const provider of providers.values()) {
    await provider.forceFlush();
    await provider.shutdown();
  }
  return {
    traceId: spans[0]!.spanContext().traceId,
    spanIds: spans.map((s) => s.spanContext().spanId),
  };
}

export async function launch(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "periscope-ui-test-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    colorScheme: "light",
    acceptDownloads: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export const rows = (page: Page) => page.locator('[data-testid="span-row"]');

export async function openTrace(page: Page, ui: string, id: string): Promise<void> {
  await page.goto(`${ui}/trace/${id}`);
  await page.locator('[data-testid="trace-ready"]').waitFor({ state: "attached" });
}

/** A computed CSS property of the element a locator finds (the repo's tsconfig has no DOM lib). */
export function computedStyle(locator: Locator, property: string): Promise<string> {
  return locator.evaluate(
    (el, prop) =>
      (
        globalThis as unknown as {
          getComputedStyle(e: unknown): { getPropertyValue(p: string): string };
        }
      )
        .getComputedStyle(el)
        .getPropertyValue(prop),
    property,
  );
}
