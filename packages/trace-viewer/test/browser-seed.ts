// What the browser tests of the views and pages share: a checkout trace across four services
// with an error, a link and events; a second one that differs (for Compare); one made of XSS
// payloads; a viewer with them; and a check that nothing injected ran.
import type { Page } from "playwright-core";
import { startViewer } from "../src/index.ts";
import { type SpanSpec, sendTrace, XSS } from "./browser-harness.ts";

export const CHECKOUT: SpanSpec[] = [
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
export const CHECKOUT_B: SpanSpec[] = [
  { name: "POST /checkout", at: 0, ms: 120 },
  { name: "cart.get", service: "cart", parent: 0, at: 10, ms: 90 },
  { name: "SELECT cart", service: "db", parent: 1, at: 15, ms: 20 },
  { name: "SELECT cart", service: "db", parent: 1, at: 40, ms: 20 },
  { name: "SELECT cart", service: "db", parent: 1, at: 65, ms: 20 },
  { name: "cache.lookup", service: "cache", parent: 0, at: 101, ms: 5 },
  { name: "render", parent: 0, at: 106, ms: 10 },
];

export const HOSTILE: SpanSpec[] = [
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

export async function injected(page: Page) {
  return page.evaluate(`({
    xss: window.__xss ?? null,
    img: document.querySelectorAll("img").length,
    handlers: document.querySelectorAll("[onerror],[onload],[onclick]").length,
    jsLinks: [...document.querySelectorAll("a")].filter((a) => /^\\s*javascript:/i.test(a.getAttribute("href") ?? "")).length,
    scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
    foreign: document.querySelectorAll("svg svg, foreignObject").length,
  })`);
}
export const CLEAN = { xss: null, img: 0, handlers: 0, jsLinks: 0, scripts: 0, foreign: 0 };

/** A viewer in memory with the checkout traces A and B and the hostile one. */
export async function seededViewer() {
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
  const otlp = viewer.otlpHttpUrl;
  const a = await sendTrace(otlp, "frontend", CHECKOUT);
  const b = await sendTrace(otlp, "frontend", CHECKOUT_B);
  const hostile = await sendTrace(otlp, XSS.svg, HOSTILE, { "host.name": XSS.img });
  return { viewer, ui: viewer.uiUrl, otlp, a, b, hostile };
}

/** Collects page errors, console errors and dialogs (dismissed) of a page. */
export function watch(page: Page): { errors: string[]; dialogs: string[] } {
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
  return { errors, dialogs };
}
