// Real Express 5 run with `--import @periscope/auto` and nothing else: a gRPC console client
// sees each request as a task named by its route, under its connection's task, with its fields,
// the outgoing fetch as an async op of the request that made it, and named, grouped handles.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type App, fieldText, freePort, startApp, until, View } from "./helpers.ts";

let app: App;
let view: View;
let consolePort: number;

before(async () => {
  consolePort = await freePort();
  app = await startApp("express-app.cjs", {
    env: { PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` },
  });
  view = new View(`127.0.0.1:${consolePort}`);
  const base = `http://127.0.0.1:${app.port}`;
  for (const path of ["/users/42", "/users/43", "/proxy", "/plain", "/spawned"]) {
    const r = await fetch(base + path);
    assert.equal(r.status, 200, path);
    await r.text();
  }
});
after(async () => {
  view?.close();
  await app?.stop();
});

test("each request is a task named METHOD route, with method, route, status and duration", async () => {
  await until(() => view.tasksNamed("GET /users/:id").length >= 3, 10_000, "the user tasks");
  // Two direct requests and the one /proxy makes to itself.
  const users = view.tasksNamed("GET /users/:id");
  for (const { task } of users) {
    assert.equal(fieldText(task.fields, "method"), "GET");
    assert.equal(fieldText(task.fields, "route"), "/users/:id");
    assert.equal(fieldText(task.fields, "path"), "/users/:id", "ids collapsed in the raw path too");
  }
  await until(
    () => view.tasksNamed("GET /users/:id").every((e) => e.stats?.droppedAt !== undefined),
    10_000,
    "the user tasks completed",
  );
  for (const { task, stats } of view.tasksNamed("GET /users/:id")) {
    assert.equal(fieldText(task.fields, "status"), "200");
    assert.match(fieldText(task.fields, "duration") ?? "", /^\d+(\.\d+)?(µs|ms|s)$/);
    // A timer, an fs read and a lock: the handler resumes several times, each a poll.
    assert.ok((stats?.pollStats?.polls ?? 0n) >= 3n, `polls ${stats?.pollStats?.polls}`);
  }
});

test("a request task's parent is its connection's task, which carries the peer address", async () => {
  await until(() => view.tasksNamed("GET /plain").length === 1, 10_000, "the /plain task");
  const plain = view.tasksNamed("GET /plain")[0];
  const connId = fieldText(plain?.task.fields ?? [], "conn.task.id");
  assert.ok(connId, "conn.task.id field");
  const conn = view.taskById(connId);
  assert.ok(conn, `connection task ${connId}`);
  const peer = fieldText(conn.task.fields, "peer.addr") ?? "";
  assert.match(peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(fieldText(conn.task.fields, "task.name"), `conn ${peer}`);
  assert.equal(fieldText(conn.task.fields, "local.addr"), `127.0.0.1:${app.port}`);
  assert.ok((conn.stats?.pollStats?.polls ?? 0n) >= 1n);
  // The console's own gRPC connection is not shown as the program's work.
  for (const { task } of view.tasks.values())
    assert.notEqual(fieldText(task.fields, "local.addr"), `127.0.0.1:${consolePort}`);
});

test("an outgoing fetch is an async op on its origin's resource, of the task that made it", async () => {
  const origin = `http://127.0.0.1:${app.port}`;
  await until(() => view.resourcesOfType(origin).length === 1, 10_000, "the origin resource");
  const res = view.resourcesOfType(origin)[0];
  assert.equal(res?.resource.kind?.other, "Http");
  const proxy = view.tasksNamed("GET /proxy")[0];
  assert.ok(proxy);
  await until(
    () => [...view.asyncOps.values()].some((o) => o.stats?.taskId !== undefined),
    10_000,
    "the async op's task",
  );
  const op = [...view.asyncOps.values()].find((o) => o.op.source === "GET /users/7");
  assert.ok(op, "async op GET /users/7");
  assert.equal(op.op.resourceId?.id, res?.resource.id?.id);
  assert.equal(op.stats?.taskId?.id, proxy.task.id?.id);
  // The origin's counters, published by a timer: every request done, none in flight.
  const count = (name: string): bigint | undefined =>
    view.resources
      .get(res?.resource.id?.id as bigint)
      ?.stats?.attributes.find((a) => a.field?.strName === name)?.field?.u64Val;
  await until(() => (count("requests") ?? 0n) >= 1n, 10_000, "the origin's requests");
  await until(() => count("in_flight") === 0n, 10_000, "nothing in flight");
});

test("Node handles are named resources grouped under one parent per kind", async () => {
  await until(() => view.resourcesOfType("node::timers").length === 1, 10_000, "timers group");
  const group = view.resourcesOfType("node::timers")[0];
  // The app's long-lived interval is a resource, under the group, with its duration and ref.
  await until(
    () => view.resourcesOfType("setInterval 60000ms").length === 1,
    10_000,
    "the interval resource",
  );
  const interval = view.resourcesOfType("setInterval 60000ms")[0];
  assert.equal(interval?.resource.parentResourceId?.id, group?.resource.id?.id);
  assert.equal(interval?.resource.kind?.known, 0, "timer kind");
  const attr = (
    e: (typeof view.resources extends Map<bigint, infer V> ? V : never) | undefined,
    name: string,
  ) => e?.stats?.attributes.find((a) => a.field?.strName === name)?.field;
  await until(() => attr(interval, "ref") !== undefined, 10_000, "the interval's ref");
  assert.equal(attr(interval, "ref")?.boolVal, false, "unref'd: keeps nothing alive");
  assert.equal(attr(interval, "duration")?.u64Val, 60_000n);
  // The handlers' 5 ms timers lived less than a sweep: counted in the group, not shown each.
  assert.equal(view.resourcesOfType("setTimeout 5ms").length, 0);
  await until(() => (attr(group, "created")?.u64Val ?? 0n) >= 3n, 10_000, "timers counted");
  // The server's listening handle lives: a resource under node::servers.
  await until(() => view.resourcesOfType("Server (tcp)").length >= 1, 10_000, "the server");
  const servers = view.resourcesOfType("node::servers")[0];
  assert.ok(
    view
      .resourcesOfType("Server (tcp)")
      .some((s) => s.resource.parentResourceId?.id === servers?.resource.id?.id),
  );
  assert.equal(view.resourcesOfType("node::GC").length, 1);
  assert.equal(view.resourcesOfType("node::EventLoop").length, 1);
});

test("spawn() awaited in an Express 5 handler runs as a task and prints no deprecation", async () => {
  await until(() => view.tasksNamed("compute").length === 1, 10_000, "the spawned task");
  assert.doesNotMatch(app.stderr(), /deprecat/i);
  // Nothing the app prints changes: its own line only.
  assert.equal(app.stdout(), `listening ${app.port}\n`);
});
