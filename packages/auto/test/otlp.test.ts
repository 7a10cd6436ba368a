// OTLP with no code changes: the Express 5 fixture run with --import @periscope/auto and only
// OTEL_* variables exports to the embedded viewer: one trace per request, rooted at the HTTP
// server span, outgoing fetches and the app's own spans (even in a spawned task) inside it, and
// no runtime internals.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type RunningViewer, startViewer } from "@periscope/trace-viewer";
import { type App, freePort, startApp, until, View } from "./helpers.ts";

interface JSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JTrace {
  traceID: string;
  spans: JSpan[];
}

let viewer: RunningViewer;
let app: App;

before(async () => {
  viewer = await startViewer({
    inMemory: true,
    ui: "127.0.0.1:0",
    otlpHttp: "127.0.0.1:0",
    otlpGrpc: false,
  });
  app = await startApp("express-app.cjs", {
    env: {
      PERISCOPE_CONSOLE: "0",
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpHttpUrl,
      OTEL_SERVICE_NAME: "express-fixture",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
  });
  const base = `http://127.0.0.1:${app.port}`;
  for (const p of ["/users/1", "/proxy", "/spawned"])
    assert.equal((await fetch(base + p)).status, 200);
});
after(async () => {
  await app?.stop();
  await viewer?.close();
});

async function traces(): Promise<JTrace[]> {
  const r = await fetch(`${viewer.uiUrl}/api/traces?service=express-fixture&limit=100`);
  return ((await r.json()) as { data: JTrace[] }).data;
}

function tag(s: JSpan, key: string): unknown {
  return s.tags.find((t) => t.key === key)?.value;
}

function roots(t: JTrace): JSpan[] {
  const ids = new Set(t.spans.map((s) => s.spanID));
  return t.spans.filter(
    (s) => !s.references.some((r) => r.refType === "CHILD_OF" && ids.has(r.spanID)),
  );
}

test("one trace per incoming request, rooted at the HTTP server span, no runtime internals", async () => {
  let all: JTrace[] = [];
  // Three requests from the test, and the one /proxy makes to itself (same trace as /proxy).
  const end = Date.now() + 15_000;
  while (Date.now() < end && !(all.length >= 3 && all.some((t) => t.spans.length >= 3))) {
    await new Promise((r) => setTimeout(r, 100));
    all = await traces();
  }
  await new Promise((r) => setTimeout(r, 300));
  all = await traces();
  assert.equal(
    all.length,
    3,
    all.map((t) => t.spans.map((s) => s.operationName).join(",")).join(" | "),
  );
  for (const t of all) {
    const rs = roots(t);
    assert.equal(rs.length, 1, `one root in ${t.spans.map((s) => s.operationName)}`);
    assert.equal(tag(rs[0] as JSpan, "span.kind"), "server");
    for (const s of t.spans) assert.doesNotMatch(s.operationName, /^runtime\./);
  }
  const proxy = all.find((t) =>
    t.spans.some((s) => tag(s, "http.target") === "/proxy" || tag(s, "url.path") === "/proxy"),
  );
  assert.ok(proxy, "the /proxy trace");
  // Its fetch (client span) and the server span of the request it made are in the same trace.
  assert.ok(
    proxy.spans.some((s) => tag(s, "span.kind") === "client"),
    "fetch client span",
  );
  assert.equal(proxy.spans.filter((s) => tag(s, "span.kind") === "server").length, 2);
  // The server spans are named by the route the framework matched, as the conventions ask.
  const names = all.map((t) => (roots(t)[0] as JSpan).operationName).sort();
  assert.deepEqual(names, ["GET /proxy", "GET /spawned", "GET /users/:id"]);
  assert.equal(
    tag(
      roots(all.find((t) => roots(t)[0]?.operationName === "GET /users/:id") as JTrace)[0] as JSpan,
      "http.route",
    ),
    "/users/:id",
  );
  const spawned = all.find((t) => t.spans.some((s) => s.operationName === "compute.answer"));
  assert.ok(spawned, "the spawned task's span joined a request trace");
  assert.equal(roots(spawned).length, 1);
  assert.equal(tag(roots(spawned)[0] as JSpan, "span.kind"), "server");
});

test("an ES module app on node:http gets its server spans too (loader hook)", async (t) => {
  const plain = await startApp("plain-http.mjs", {
    env: {
      PERISCOPE_CONSOLE: "0",
      OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpHttpUrl,
      OTEL_SERVICE_NAME: "plain-fixture",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
  });
  t.after(() => plain.stop());
  await (await fetch(`http://127.0.0.1:${plain.port}/a/1`)).text();
  let found: JTrace[] = [];
  const end = Date.now() + 15_000;
  while (Date.now() < end && found.length === 0) {
    await new Promise((r) => setTimeout(r, 100));
    const r = await fetch(`${viewer.uiUrl}/api/traces?service=plain-fixture`);
    found = ((await r.json()) as { data: JTrace[] }).data;
  }
  assert.equal(found.length, 1);
  assert.equal(tag(roots(found[0] as JTrace)[0] as JSpan, "span.kind"), "server");
});

test("bad OTEL_* values: a warning with a code, traces off, the app and the console run on", async (t) => {
  const consolePort = await freePort();
  const bad = await startApp("plain-http.mjs", {
    env: {
      PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpHttpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: "carrier-pigeon",
    },
  });
  t.after(() => bad.stop());
  assert.equal((await fetch(`http://127.0.0.1:${bad.port}/x/1`)).status, 200);
  const view = new View(`127.0.0.1:${consolePort}`);
  t.after(() => view.close());
  await until(() => view.tasksNamed("GET /x/:id").length === 1, 10_000, "the request task");
  assert.match(bad.stderr(), /PERISCOPE_AUTO_OTLP_FAILED/);
  assert.match(bad.stderr(), /carrier-pigeon/);
});
