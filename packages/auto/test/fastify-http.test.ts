// Real Fastify 5 and a plain node:http server, each run with `--import @periscope/auto`: Fastify's
// published route names its tasks, node:http falls back to the path with ids collapsed, and an
// http.request is an async op like a fetch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldText, freePort, startApp, until, View } from "./helpers.ts";

test("Fastify 5: tasks are named by the route Fastify matched; http.request is an async op", async (t) => {
  const consolePort = await freePort();
  const app = await startApp("fastify-app.cjs", {
    env: { PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` },
  });
  const view = new View(`127.0.0.1:${consolePort}`);
  t.after(async () => {
    view.close();
    await app.stop();
  });
  const base = `http://127.0.0.1:${app.port}`;
  assert.equal((await fetch(`${base}/items/abc`)).status, 200);
  assert.equal((await fetch(`${base}/via-http`)).status, 200);
  assert.equal((await fetch(`${base}/missing/123`)).status, 404);
  await until(() => view.tasksNamed("GET /items/:id").length === 2, 10_000, "item tasks");
  for (const { task } of view.tasksNamed("GET /items/:id"))
    assert.equal(fieldText(task.fields, "route"), "/items/:id");
  // No route matched: the path, with the id collapsed.
  await until(() => view.tasksNamed("GET /missing/:id").length === 1, 10_000, "the 404 task");
  await until(
    () => fieldText(view.tasksNamed("GET /missing/:id")[0]?.task.fields ?? [], "status") === "404",
    10_000,
    "the 404 status",
  );
  const via = view.tasksNamed("GET /via-http")[0];
  assert.ok(via);
  await until(
    () =>
      [...view.asyncOps.values()].some((o) => o.op.source === "GET /items/9" && o.stats?.taskId),
    10_000,
    "the http.request async op",
  );
  const op = [...view.asyncOps.values()].find((o) => o.op.source === "GET /items/9");
  assert.equal(op?.stats?.taskId?.id, via.task.id?.id);
});

test("node:http with no framework: METHOD path, ids collapsed, query dropped", async (t) => {
  const consolePort = await freePort();
  const app = await startApp("plain-http.mjs", {
    env: { PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` },
  });
  const view = new View(`127.0.0.1:${consolePort}`);
  t.after(async () => {
    view.close();
    await app.stop();
  });
  const base = `http://127.0.0.1:${app.port}`;
  for (const p of [
    "/orders/17/lines/3?x=1",
    "/orders/18/lines/4",
    "/files/3f2b8c1e-7d1a-4c5e-9b2a-1c2d3e4f5a6b",
  ])
    await (await fetch(base + p)).text();
  await until(
    () => view.tasksNamed("GET /orders/:id/lines/:id").length === 2,
    10_000,
    `collapsed order tasks (seen: ${[...view.tasks.values()].map((e) => fieldText(e.task.fields, "task.name")).join(", ")})`,
  );
  await until(() => view.tasksNamed("GET /files/:id").length === 1, 10_000, "uuid collapsed");
  assert.equal(app.stdout(), `listening ${app.port}\n`);
});

test("PERISCOPE_LOG turns on fmt logs to stdout, filtered by its directives", async (t) => {
  const app = await startApp("plain-http.mjs", {
    env: {
      PERISCOPE_CONSOLE: "0",
      PERISCOPE_LOG: "tokio::task=trace,runtime::waker=trace",
      NO_COLOR: "1",
    },
  });
  t.after(() => app.stop());
  await (await fetch(`http://127.0.0.1:${app.port}/x`)).text();
  await until(() => /waker/.test(app.stdout()), 10_000, "a waker event line");
  assert.match(app.stdout(), /TRACE.*runtime::waker/);
});

test("completed tasks kept are capped (PERISCOPE_CONSOLE_MAX_RETAINED; 20,000 by default)", async (t) => {
  const consolePort = await freePort();
  const app = await startApp("plain-http.mjs", {
    env: {
      PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}`,
      PERISCOPE_CONSOLE_MAX_RETAINED: "3",
    },
  });
  t.after(() => app.stop());
  for (let i = 0; i < 8; i++) await (await fetch(`http://127.0.0.1:${app.port}/n/${i}`)).text();
  await new Promise((r) => setTimeout(r, 400)); // a few publishes: expiry runs on each
  const view = new View(`127.0.0.1:${consolePort}`);
  t.after(() => view.close());
  await until(() => view.updates > 0, 10_000, "the snapshot");
  const done = [...view.tasks.values()].filter((e) => e.stats?.droppedAt !== undefined);
  assert.ok(done.length <= 3, `${done.length} completed tasks kept`);
  assert.ok(view.tasksNamed("GET /n/:id").length >= 1, "the newest are kept");
});

test("child processes, fs watchers, intervals and servers are grouped resources", async (t) => {
  const consolePort = await freePort();
  const app = await startApp("handles.mjs", {
    env: { PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` },
  });
  const view = new View(`127.0.0.1:${consolePort}`);
  t.after(async () => {
    view.close();
    await app.stop();
  });
  const pairs: [string, string][] = [
    ["ChildProcess", "node::child_processes"],
    ["fs.watch", "node::fs_watchers"],
    ["setInterval 2500ms", "node::timers"],
    ["Server (tcp)", "node::servers"],
    ["fs.watchFile", "node::fs_watchers"],
    ["Socket (udp)", "node::sockets"],
  ];
  for (const [type, group] of pairs) {
    await until(() => view.resourcesOfType(type).length >= 1, 10_000, type);
    const g = view.resourcesOfType(group)[0];
    assert.ok(g, group);
    assert.ok(
      view.resourcesOfType(type).some((r) => r.resource.parentResourceId?.id === g.resource.id?.id),
      `${type} under ${group}`,
    );
  }
  const interval = view.resourcesOfType("setInterval 2500ms")[0];
  await until(
    () => interval?.stats?.attributes.some((a) => a.field?.strName === "ref") === true,
    10_000,
    "the interval's ref",
  );
  const ref = interval?.stats?.attributes.find((a) => a.field?.strName === "ref")?.field;
  assert.equal(ref?.boolVal, true, "a ref'd interval keeps the process alive");

  // Closed handles are found at the next sweep (no destroy hook): their resources close and
  // their groups' `live` counts drop; the server stays.
  const live = (group: string): bigint | undefined =>
    view.resourcesOfType(group)[0]?.stats?.attributes.find((a) => a.field?.strName === "live")
      ?.field?.u64Val;
  assert.equal(live("node::child_processes"), 1n);
  await fetch(`http://127.0.0.1:${app.port}/close`).then((r) => r.text());
  const gone = ["ChildProcess", "fs.watch", "fs.watchFile", "Socket (udp)", "setInterval 2500ms"];
  for (const type of gone)
    await until(
      () => view.resourcesOfType(type).every((r) => r.stats?.droppedAt !== undefined),
      10_000,
      `${type} closed`,
    );
  await until(() => live("node::child_processes") === 0n, 10_000, "no child process live");
  await until(() => live("node::fs_watchers") === 0n, 10_000, "no fs watcher live");
  assert.ok(
    view.resourcesOfType("Server (tcp)").some((r) => r.stats?.droppedAt === undefined),
    "the server is still open",
  );
});
