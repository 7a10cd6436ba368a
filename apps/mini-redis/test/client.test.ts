// The client library: Client, BufferedClient and Subscriber against a server in this process.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  BufferedClient,
  Client,
  ManualClock,
  RedisError,
  type RunningServer,
  startServer,
} from "../src/index.ts";

const clock = new ManualClock();
let server: RunningServer;
before(async () => {
  server = await startServer({ port: 0, clock });
});
after(() => server.close());

test("Client: ping, set, get, setExpires", async () => {
  const c = await Client.connect(server.port);
  try {
    assert.equal((await c.ping()).toString(), "PONG");
    assert.equal((await c.ping("hi")).toString(), "hi");
    await c.set("client:k", "v");
    assert.equal((await c.get("client:k"))?.toString(), "v");
    assert.equal(await c.get("client:none"), null);
    await c.setExpires("client:e", Buffer.from([0, 1, 2]), 1000);
    assert.deepEqual(await c.get("client:e"), Buffer.from([0, 1, 2]));
    clock.advance(1001);
    assert.equal(await c.get("client:e"), null);
  } finally {
    await c.close();
  }
});

test("Client: error replies reject with a RedisError carrying the code", async () => {
  const c = await Client.connect(server.port);
  try {
    const err = await c.command(["SET", "k", "v", "EX", "0"]).catch((e: unknown) => e);
    assert.ok(err instanceof RedisError);
    assert.equal(err.code, "ERR");
    assert.match(err.message, /invalid expire time/);
    // The connection is still usable afterwards.
    assert.equal((await c.ping()).toString(), "PONG");
  } finally {
    await c.close();
  }
});

test("Client: requests on a closed server reject instead of hanging", async () => {
  const other = await startServer({ port: 0 });
  const c = await Client.connect(other.port);
  const pending = c.get("x");
  await pending;
  await other.close();
  await assert.rejects(c.get("x"));
});

test("BufferedClient: 1,000 requests made in one tick, answered in order", async () => {
  const c = await BufferedClient.connect(server.port);
  try {
    const sets = Array.from({ length: 500 }, (_, i) => c.set(`buf:${i}`, String(i)));
    const gets = Array.from({ length: 500 }, (_, i) => c.get(`buf:${i}`));
    await Promise.all(sets);
    const values = await Promise.all(gets);
    assert.deepEqual(
      values.map((v) => v?.toString()),
      Array.from({ length: 500 }, (_, i) => String(i)),
    );
  } finally {
    await c.close();
  }
});

test("Subscriber: iterate over messages from several channels", async () => {
  const pub = await Client.connect(server.port);
  const sub = await (await Client.connect(server.port)).subscribe(["sub:a"]);
  await sub.subscribe(["sub:b"]);
  assert.deepEqual([...sub.channels].sort(), ["sub:a", "sub:b"]);
  assert.equal(await pub.publish("sub:a", "one"), 1);
  assert.equal(await pub.publish("sub:b", "two"), 1);
  const got: string[] = [];
  for await (const m of sub) {
    got.push(`${m.channel}=${m.content.toString()}`);
    if (got.length === 2) break;
  }
  assert.deepEqual(got, ["sub:a=one", "sub:b=two"]);
  await sub.close();
  assert.equal(await sub.nextMessage(), null, "a closed subscriber ends its iteration");
  await pub.close();
});
