// HTTPS, HTTP/2 (TLS and cleartext, compat and stream API), Fastify 5 over HTTP/2 and a
// @grpc/grpc-js server under `--import @periscope/auto`, with real clients: each request is a
// task under its connection's task.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { type App, fieldText, freePort, startApp, until, View } from "./helpers.ts";

// A self-signed certificate made here: node:crypto makes keys but not certificates.
const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
const SKIP = hasOpenssl || process.env.CI ? false : "openssl is not installed (CI installs it)";

function makeCert(dir: string): { key: string; cert: string } {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const r = spawnSync("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
    ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
  ]);
  assert.equal(r.status, 0, `openssl failed: ${r.stderr}`);
  return { key, cert };
}

/** One GET over HTTPS (a fresh connection each), resolving with the status. */
function httpsGet(port: number, path: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path, ca, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
}

/** Requests over one HTTP/2 session; resolves with each status in order. */
async function h2Session(
  origin: string,
  paths: string[],
  ca: Buffer | undefined,
): Promise<(number | string)[]> {
  const client = http2.connect(origin, ca === undefined ? {} : { ca });
  client.on("error", () => {});
  try {
    return await Promise.all(
      paths.map(
        (p) =>
          new Promise<number | string>((resolve) => {
            const s = client.request({ ":path": p });
            let status: number | string = "none";
            s.on("response", (h) => {
              status = Number(h[":status"]);
            });
            s.on("error", () => {});
            s.resume();
            s.on("close", () => resolve(status));
            // Gives up on a request the server never answers: the server sees it aborted.
            if (p.startsWith("/hang"))
              setTimeout(() => s.close(http2.constants.NGHTTP2_CANCEL), 200);
          }),
      ),
    );
  } finally {
    client.close();
  }
}

const names = (view: View) =>
  [...view.tasks.values()].map((e) => fieldText(e.task.fields, "task.name")).join(", ");

async function run(t: { after(fn: () => Promise<void>): void }, node?: string) {
  const dir = mkdtempSync(join(tmpdir(), "periscope-tls-"));
  const { key, cert } = makeCert(dir);
  const ca = readFileSync(cert);
  const consolePort = await freePort();
  const app: App = await startApp("tls-h2.mjs", {
    env: { PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}`, TLS_KEY: key, TLS_CERT: cert },
    ...(node === undefined ? {} : { node }),
  });
  const view = new View(`127.0.0.1:${consolePort}`);
  t.after(async () => {
    view.close();
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(app.stdout())?.[1]);
  return { app, view, ca, port };
}

/** The request task's connection, named by its `conn.task.id` field (as for HTTP/1). */
function assertUnderConnection(view: View, name: string, localPort: number): void {
  const req = view.tasksNamed(name)[0];
  assert.ok(req, `a ${name} task (seen: ${names(view)})`);
  const connId = fieldText(req.task.fields, "conn.task.id");
  assert.ok(connId, `${name}: conn.task.id field`);
  const conn = view.taskById(connId);
  assert.ok(conn, `${name}: the connection task ${connId}`);
  const peer = fieldText(conn.task.fields, "peer.addr") ?? "";
  assert.match(peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(fieldText(conn.task.fields, "task.name"), `conn ${peer}`);
  assert.equal(fieldText(conn.task.fields, "local.addr"), `127.0.0.1:${localPort}`);
}

/** Each task named `name` completes with this status, a duration and at least `polls` polls. */
async function assertDone(view: View, name: string, status: string, polls: bigint, method = "GET") {
  await until(
    () =>
      view.tasksNamed(name).length > 0 &&
      view.tasksNamed(name).every((e) => fieldText(e.task.fields, "status") === status),
    10_000,
    `${name} done with ${status} (seen: ${names(view)})`,
  );
  for (const { task, stats } of view.tasksNamed(name)) {
    assert.equal(fieldText(task.fields, "method"), method);
    assert.match(fieldText(task.fields, "duration") ?? "", /^\d+(\.\d+)?(µs|ms|s)$/);
    assert.ok(
      (stats?.pollStats?.polls ?? 0n) >= polls,
      `${name}: polls ${stats?.pollStats?.polls}`,
    );
  }
}

test("HTTPS: each request is a task under its TLS connection's task", { skip: SKIP }, async (t) => {
  const { view, ca, port } = await run(t);
  assert.equal(await httpsGet(port("https"), "/users/7", ca), 200);
  assert.equal(await httpsGet(port("https"), "/missing/8", ca), 404);
  // HTTP/1.1 on an HTTP/2 server that allows it.
  assert.equal(await httpsGet(port("h2s"), "/fallback/9", ca), 200);
  await assertDone(view, "GET /users/:id", "200", 2n);
  await assertDone(view, "GET /missing/:id", "404", 1n);
  assert.equal(
    fieldText(view.tasksNamed("GET /users/:id")[0]?.task.fields ?? [], "path"),
    "/users/:id",
  );
  assertUnderConnection(view, "GET /users/:id", port("https"));
  assertUnderConnection(view, "GET /missing/:id", port("https"));
  await assertDone(view, "GET /fallback/:id", "200", 2n);
  assertUnderConnection(view, "GET /fallback/:id", port("h2s"));
  assert.equal(
    fieldText(view.tasksNamed("GET /fallback/:id")[0]?.task.fields ?? [], "protocol"),
    undefined,
  );
});

for (const [label, node] of [
  ["Node 24", undefined],
  // Node 22 too when PERISCOPE_TEST_NODE22 names its binary (it must run TypeScript: 22.18+).
  ["Node 22", process.env.PERISCOPE_TEST_NODE22],
] as const) {
  const skip =
    SKIP || (label === "Node 22" && node === undefined ? "set PERISCOPE_TEST_NODE22" : false);
  test(`HTTP/2 (${label}): streams are request tasks under their session's connection`, {
    skip,
  }, async (t) => {
    const { app, view, ca, port } = await run(t, node);
    // Over TLS with the compat API: three concurrent streams on one session, one never answered.
    const secure = await h2Session(
      `https://127.0.0.1:${port("h2s")}`,
      ["/orders/1", "/orders/2?x=1", "/missing/3", "/hang/4"],
      ca,
    );
    assert.deepEqual(secure, [200, 200, 404, "none"]);
    // Cleartext with the stream API.
    assert.deepEqual(
      await h2Session(`http://127.0.0.1:${port("h2c")}`, ["/items/5"], undefined),
      [201],
    );

    await assertDone(view, "GET /orders/:id", "200", 2n);
    assert.equal(view.tasksNamed("GET /orders/:id").length, 2);
    await assertDone(view, "GET /missing/:id", "404", 1n);
    await assertDone(view, "GET /hang/:id", "aborted", 1n);
    await assertDone(view, "GET /items/:id", "201", 2n);
    for (const { task } of view.tasksNamed("GET /orders/:id")) {
      assert.equal(fieldText(task.fields, "path"), "/orders/:id");
      assert.equal(fieldText(task.fields, "protocol"), "h2");
    }
    // The streams of one session share its connection task.
    const conns = new Set(
      ["GET /orders/:id", "GET /missing/:id", "GET /hang/:id"].flatMap((n) =>
        view.tasksNamed(n).map((e) => fieldText(e.task.fields, "conn.task.id")),
      ),
    );
    assert.equal(conns.size, 1, "one connection task for the session's four streams");
    assertUnderConnection(view, "GET /orders/:id", port("h2s"));
    // Its polls: the accept, then the session reading and parsing frames between the streams.
    const sessionId = [...conns][0] as string;
    await until(
      () => (view.taskById(sessionId)?.stats?.pollStats?.polls ?? 0n) >= 3n,
      10_000,
      "the session's reads as polls of its connection task",
    );
    assertUnderConnection(view, "GET /items/:id", port("h2c"));
    // The console's own gRPC (HTTP/2) streams are not the program's requests.
    assert.ok(
      !names(view).includes("/rs.tokio.console"),
      `no console streams among the tasks: ${names(view)}`,
    );
    assert.equal(app.stdout().split("\n").length, 2, "the app printed only its ports");
  });
}

test("Fastify 5 over HTTP/2: stream tasks are named by the route Fastify matched", async (t) => {
  const consolePort = await freePort();
  const app = await startApp("fastify-h2.cjs", {
    env: { PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` },
  });
  const view = new View(`127.0.0.1:${consolePort}`);
  t.after(async () => {
    view.close();
    await app.stop();
  });
  const origin = `http://127.0.0.1:${app.port}`;
  assert.deepEqual(
    await h2Session(origin, ["/items/abc", "/items/def", "/nope/12"], undefined),
    [200, 200, 404],
  );
  await assertDone(view, "GET /items/:id", "200", 2n);
  assert.equal(view.tasksNamed("GET /items/:id").length, 2);
  for (const { task } of view.tasksNamed("GET /items/:id"))
    assert.equal(fieldText(task.fields, "route"), "/items/:id");
  // No route matched: the collapsed path, as over HTTP/1.
  await assertDone(view, "GET /nope/:id", "404", 1n);
  assertUnderConnection(view, "GET /items/:id", app.port);
});

test("a @grpc/grpc-js server: each call is a task named POST /package.Service/Method", async (t) => {
  const consolePort = await freePort();
  const app = await startApp("grpc-app.cjs", {
    env: { PERISCOPE_CONSOLE_BIND: `127.0.0.1:${consolePort}` },
  });
  const view = new View(`127.0.0.1:${consolePort}`);
  const Client = grpc.makeGenericClientConstructor({}, "Echo");
  const client = new Client(`127.0.0.1:${app.port}`, grpc.credentials.createInsecure());
  t.after(async () => {
    client.close();
    view.close();
    await app.stop();
  });
  const raw = (b: Buffer) => b;
  for (const text of ["one", "two"]) {
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest("/demo.Echo/Say", raw, raw, Buffer.from(text), (e, r) =>
        e || r === undefined ? reject(e) : resolve(r),
      ),
    );
    assert.equal(reply.toString(), text);
  }
  const failed = await new Promise<grpc.ServiceError | null>((resolve) =>
    client.makeUnaryRequest("/demo.Echo/Say", raw, raw, Buffer.from("missing"), (e) => resolve(e)),
  );
  assert.equal(failed?.code, grpc.status.NOT_FOUND);
  await until(
    () => view.tasksNamed("POST /demo.Echo/Say").length === 3,
    10_000,
    `three call tasks (seen: ${names(view)})`,
  );
  await assertDone(view, "POST /demo.Echo/Say", "200", 1n, "POST");
  // The gRPC status, from the trailers: OK twice, NOT_FOUND once.
  const codes = view
    .tasksNamed("POST /demo.Echo/Say")
    .map((e) => fieldText(e.task.fields, "grpc.status"))
    .sort();
  assert.deepEqual(codes, ["0", "0", "5"]);
  // The answered calls' handlers ran once the message was in: body reads are the call's polls.
  const answered = view
    .tasksNamed("POST /demo.Echo/Say")
    .filter((e) => fieldText(e.task.fields, "grpc.status") === "0");
  for (const { stats } of answered)
    assert.ok((stats?.pollStats?.polls ?? 0n) >= 2n, `polls ${stats?.pollStats?.polls}`);
  assertUnderConnection(view, "POST /demo.Echo/Say", app.port);
});
