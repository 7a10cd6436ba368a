// Interop: real clients against mini-redis. redis-cli and redis-benchmark (Debian redis-tools),
// ioredis and node-redis, each at its defaults, doing what their users do first.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { type RunningServer, startServer } from "../src/index.ts";
import { runProcess, toolSkip } from "./helpers.ts";

let server: RunningServer;
before(async () => {
  server = await startServer({ port: 0 });
});
after(() => server.close());

function run(tool: string, args: string[], input?: string) {
  return runProcess(tool, args, input === undefined ? {} : { input });
}

async function redisCli(...args: string[]): Promise<string> {
  const r = await run("redis-cli", ["-p", String(server.port), ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test("redis-cli: set, get, expiry, errors, publish", { skip: toolSkip("redis-cli") }, async () => {
  assert.equal(await redisCli("ping"), "PONG\n");
  assert.equal(await redisCli("set", "cli:k", "hello world"), "OK\n");
  assert.equal(await redisCli("get", "cli:k"), "hello world\n");
  assert.equal(await redisCli("set", "cli:t", "v", "ex", "100"), "OK\n");
  assert.equal(await redisCli("ttl", "cli:t"), "100\n");
  assert.equal(await redisCli("del", "cli:k", "cli:t", "cli:none"), "2\n");
  assert.equal(await redisCli("get", "cli:k"), "\n");
  assert.match(await redisCli("nosuchcommand"), /ERR unknown command 'nosuchcommand'/);
  assert.equal(await redisCli("publish", "cli:ch", "m"), "0\n");
  // Interactive-style input through a pipe, the way people script redis-cli.
  const r = await run("redis-cli", ["-p", String(server.port)], "set cli:p 1\nget cli:p\n");
  assert.equal(r.stdout, "OK\n1\n");
});

test("redis-benchmark: ping_inline, set, get", { skip: toolSkip("redis-benchmark") }, async () => {
  const r = await run("redis-benchmark", [
    ...["-p", String(server.port), "-n", "2000", "-c", "10"],
    ...["-t", "ping_inline,set,get", "--csv"],
  ]);
  assert.equal(r.code, 0, r.stderr);
  for (const t of ["PING_INLINE", "SET", "GET"])
    assert.match(r.stdout, new RegExp(`^"${t}","[0-9.]+"`, "m"));
});

test("ioredis: connect, set/get binary, expiry, pipeline, pub/sub", async () => {
  const client = new Redis({ port: server.port, host: "127.0.0.1", lazyConnect: true });
  const sub = new Redis({ port: server.port, host: "127.0.0.1", lazyConnect: true });
  try {
    await client.connect();
    await sub.connect();
    assert.equal(await client.ping(), "PONG");
    assert.equal(await client.set("io:k", "v1"), "OK");
    assert.equal(await client.get("io:k"), "v1");
    const bin = Buffer.from([0, 1, 2, 255, 13, 10]);
    await client.set("io:bin", bin);
    assert.deepEqual(await client.getBuffer("io:bin"), bin);
    assert.equal(await client.set("io:nx", "1", "PX", 100000, "NX"), "OK");
    assert.equal(await client.set("io:nx", "2", "PX", 100000, "NX"), null);
    const results = await client.pipeline().set("io:p", "1").get("io:p").del("io:p").exec();
    assert.deepEqual(results, [
      [null, "OK"],
      [null, "1"],
      [null, 1],
    ]);
    await assert.rejects(client.call("nosuchcommand"), /unknown command/);

    const got = new Promise<[string, string]>((resolve) =>
      sub.once("message", (c, m) => resolve([c, m])),
    );
    assert.equal(await sub.subscribe("io:ch"), 1);
    assert.equal(await client.publish("io:ch", "hi"), 1);
    assert.deepEqual(await got, ["io:ch", "hi"]);
  } finally {
    client.disconnect();
    sub.disconnect();
  }
});

test("node-redis: connect, set/get, expiry, multi-key, pub/sub", async () => {
  const client = createClient({ socket: { port: server.port, host: "127.0.0.1" } });
  client.on("error", () => {});
  await client.connect();
  const sub = client.duplicate();
  sub.on("error", () => {});
  await sub.connect();
  try {
    assert.equal(await client.ping(), "PONG");
    assert.equal(await client.set("nr:k", "v", { expiration: { type: "EX", value: 100 } }), "OK");
    assert.equal(await client.get("nr:k"), "v");
    assert.equal(await client.ttl("nr:k"), 100);
    assert.equal(await client.exists(["nr:k", "nr:none"]), 1);
    assert.equal(await client.del("nr:k"), 1);
    assert.equal(await client.get("nr:k"), null);
    const got = new Promise<string>((resolve) => {
      void sub.subscribe("nr:ch", (message) => resolve(message));
    });
    // Subscribing is asynchronous on the server too: publish until someone hears it.
    let receivers = 0;
    for (let i = 0; i < 50 && receivers === 0; i++) {
      receivers = await client.publish("nr:ch", "hello");
      if (receivers === 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(await got, "hello");
  } finally {
    await sub.quit().catch(() => {});
    await client.quit().catch(() => {});
  }
});
