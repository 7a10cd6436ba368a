// Hostile and heavy clients, side by side with a real redis-server where both should behave the
// same: an HTTP request sent to the Redis port, idle clients and the timeout, the client limit,
// and a client that pipelines big replies without reading them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock, startServer } from "../src/index.ts";
import {
  cmd,
  connect,
  exchange,
  readBytes,
  readUntilClose,
  startRedis,
  toolSkip,
} from "./helpers.ts";

const skip = toolSkip("redis-server");

/** What a browser's `fetch("http://127.0.0.1:6379", { method: "POST", body })` sends. */
const HTTP_POST =
  "POST / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n" +
  "Content-Length: 13\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nSET pwned 1\r\n";

/** Sends `bytes` on a fresh connection; returns what came back before the server closed it. */
async function sendUntilClosed(port: number, bytes: Buffer | string): Promise<Buffer> {
  const s = await connect(port);
  s.write(bytes);
  return readUntilClose(s);
}

test("an HTTP request is dropped without a reply, and nothing after POST or Host: runs, as in redis-server", {
  skip,
}, async () => {
  const ours = await startServer({ port: 0 });
  const redis = await startRedis();
  try {
    const scripts: Array<[string, Buffer | string]> = [
      ["curl POST", HTTP_POST],
      ["commands before it run, their replies are dropped", `SET before 1\r\n${HTTP_POST}`],
      ["Host: alone", "Host: example.com\r\nSET pwned 1\r\n"],
      ["as RESP, any case", Buffer.concat([cmd("pOsT"), cmd("SET", "pwned", "1")])],
      ["host: as RESP", Buffer.concat([cmd("HOST:", "x"), cmd("SET", "pwned", "1")])],
    ];
    for (const [what, bytes] of scripts) {
      for (const port of [ours.port, redis.port]) {
        assert.equal((await sendUntilClosed(port, bytes)).length, 0, `${what}: no reply`);
      }
    }
    for (const port of [ours.port, redis.port]) {
      const keys = await exchange(port, Buffer.concat([cmd("GET", "pwned"), cmd("GET", "before")]));
      assert.equal(keys.toString(), "$-1\r\n$1\r\n1\r\n", `on port ${port}`);
    }
    // Near misses are ordinary unknown commands, with the same reply from both.
    for (const near of ["POSTS / HTTP/1.1\r\n", "Host:x\r\n", "GET / HTTP/1.1\r\n"]) {
      const a = await exchange(ours.port, near);
      const b = await exchange(redis.port, near);
      assert.equal(a.toString(), b.toString(), JSON.stringify(near));
    }
  } finally {
    await ours.close();
    await redis.stop();
  }
});

test("the idle timeout closes a quiet client without a word, but not a subscriber", async () => {
  const clock = new ManualClock();
  const server = await startServer({ port: 0, clock, timeout: 10 });
  try {
    const quiet = await connect(server.port);
    const busy = await connect(server.port);
    const sub = await connect(server.port);
    sub.write(cmd("SUBSCRIBE", "news"));
    await readBytes(sub, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n".length);
    clock.advance(6000);
    busy.write(cmd("PING"));
    assert.equal((await readBytes(busy, 7)).toString(), "+PONG\r\n");
    assert.equal(server.closeIdleClients(), 0, "nobody is idle for 10 s yet");
    clock.advance(5000);
    assert.equal(server.closeIdleClients(), 1, "only the quiet one");
    assert.equal((await readUntilClose(quiet)).length, 0);
    clock.advance(6000);
    assert.equal(server.closeIdleClients(), 1, "busy has been quiet for 11 s now");
    await readUntilClose(busy);
    clock.advance(60_000);
    assert.equal(server.closeIdleClients(), 0, "subscribers are exempt");
    sub.write(cmd("PING"));
    assert.equal((await readBytes(sub, 14)).toString(), "*2\r\n$4\r\npong\r\n");
    sub.destroy();
  } finally {
    await server.close();
  }
});

test("timeout 1: redis-server and mini-redis both close an idle client, silently, within seconds", {
  skip,
  timeout: 20_000,
}, async () => {
  const ours = await startServer({ port: 0, timeout: 1 });
  const redis = await startRedis(["--timeout", "1"]);
  try {
    const conf = cmd("CONFIG", "GET", "timeout");
    assert.equal(
      (await exchange(ours.port, conf)).toString(),
      (await exchange(redis.port, conf)).toString(),
    );
    const started = Date.now();
    const [a, b] = await Promise.all([ours.port, redis.port].map((p) => sendUntilClosed(p, "")));
    assert.equal(a?.length, 0);
    assert.equal(b?.length, 0);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await ours.close();
    await redis.stop();
  }
});

test("the client limit defaults to Redis's 10,000: 300 idle clients lock nobody out", {
  skip,
}, async () => {
  const ours = await startServer({ port: 0 });
  const redis = await startRedis();
  try {
    assert.equal(ours.maxClients, 10_000);
    const conf = cmd("CONFIG", "GET", "maxclients");
    assert.equal(
      (await exchange(ours.port, conf)).toString(),
      (await exchange(redis.port, conf)).toString(),
    );
    const idle = await Promise.all(Array.from({ length: 300 }, () => connect(ours.port)));
    assert.equal((await exchange(ours.port, cmd("PING"))).toString(), "+PONG\r\n");
    for (const s of idle) s.destroy();
  } finally {
    await ours.close();
    await redis.stop();
  }
});

test("back-pressure: a client that does not read its replies has its later commands wait; the others are served", async () => {
  const server = await startServer({ port: 0 });
  try {
    const value = Buffer.alloc(1024 * 1024, "v");
    const reply = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from("\r\n")]);
    const other = await connect(server.port);
    other.write(cmd("SET", "big", value));
    assert.equal((await readBytes(other, 5)).toString(), "+OK\r\n");

    // 200 MB of replies asked for in one write, then a SET that must wait its turn.
    const hog = await connect(server.port);
    hog.pause();
    hog.write(
      Buffer.concat([
        ...Array.from({ length: 200 }, () => cmd("GET", "big")),
        cmd("SET", "done", "1"),
      ]),
    );
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 20; i++) {
      other.write(cmd("PING"));
      assert.equal((await readBytes(other, 7)).toString(), "+PONG\r\n");
    }
    other.write(cmd("GET", "done"));
    assert.equal((await readBytes(other, 5)).toString(), "$-1\r\n", "the SET has not run yet");

    hog.resume();
    for (let i = 0; i < 200; i++) assert.ok((await readBytes(hog, reply.length)).equals(reply));
    assert.equal((await readBytes(hog, 5)).toString(), "+OK\r\n");
    other.write(cmd("GET", "done"));
    assert.equal((await readBytes(other, 7)).toString(), "$1\r\n1\r\n");
    hog.destroy();
    other.destroy();
  } finally {
    await server.close();
  }
});

/** Publishes 64 KiB messages, 16 per write, until PUBLISH says nobody received one. */
async function publishUntilCut(port: number): Promise<number> {
  const sub = await connect(port);
  sub.write(cmd("SUBSCRIBE", "firehose"));
  await readBytes(sub, "*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n".length);
  sub.pause();
  const pub = await connect(port);
  const batch = Buffer.concat(
    Array.from({ length: 16 }, () => cmd("PUBLISH", "firehose", Buffer.alloc(64 * 1024, "m"))),
  );
  let published = 0;
  for (let cut = false; !cut && published < 4096; published += 16) {
    pub.write(batch);
    cut = (await readBytes(pub, 16 * 4)).toString().includes(":0\r\n");
  }
  pub.destroy();
  sub.destroy();
  return published;
}

test("the 32 MiB pub/sub limit cuts a silent subscriber after as many messages as redis-server", {
  skip,
}, async () => {
  const ours = await startServer({ port: 0 });
  const redis = await startRedis();
  try {
    // The same limits, in the same words: "normal 0 0 0 slave ... pubsub 33554432 8388608 60".
    const conf = cmd("CONFIG", "GET", "client-output-buffer-limit");
    assert.equal(
      (await exchange(ours.port, conf)).toString(),
      (await exchange(redis.port, conf)).toString(),
    );
    const a = await publishUntilCut(ours.port);
    const b = await publishUntilCut(redis.port);
    // 32 MiB of 64 KiB messages is 512, plus what the kernel's socket buffers absorb first.
    assert.ok(a >= 512 && a < 4096, `ours cut after ${a}`);
    assert.ok(Math.abs(a - b) <= b / 10, `ours cut after ${a} messages, redis-server after ${b}`);
  } finally {
    await ours.close();
    await redis.stop();
  }
});

/**
 * Publishes 24 MiB of 64 KiB messages to a subscriber that does not read (more than the kernel
 * takes, less than the hard limit), then one small message every 100 ms until PUBLISH reaches
 * nobody. Returns the milliseconds from the first message to that.
 */
async function msUntilSoftCut(port: number): Promise<number> {
  const sub = await connect(port);
  sub.write(cmd("SUBSCRIBE", "firehose"));
  await readBytes(sub, "*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n".length);
  sub.pause();
  const pub = await connect(port);
  const started = Date.now();
  const big = cmd("PUBLISH", "firehose", Buffer.alloc(64 * 1024, "m"));
  pub.write(Buffer.concat(Array.from({ length: 384 }, () => big)));
  await readBytes(pub, 384 * 4);
  let cut = false;
  while (!cut && Date.now() - started < 15_000) {
    await new Promise((r) => setTimeout(r, 100));
    pub.write(cmd("PUBLISH", "firehose", "x"));
    cut = (await readBytes(pub, 4)).toString() === ":0\r\n";
  }
  pub.destroy();
  sub.destroy();
  assert.ok(cut, `port ${port}: the subscriber was never cut`);
  return Date.now() - started;
}

test("the soft pub/sub limit: redis-server and mini-redis both cut a subscriber over it for its seconds, not sooner", {
  skip,
  timeout: 60_000,
}, async () => {
  const ours = await startServer({ port: 0, pubsubSoftLimit: 1024 * 1024, pubsubSoftSeconds: 2 });
  const redis = await startRedis(["--client-output-buffer-limit", "pubsub 32mb 1mb 2"]);
  try {
    const conf = cmd("CONFIG", "GET", "client-output-buffer-limit");
    assert.equal(
      (await exchange(ours.port, conf)).toString(),
      (await exchange(redis.port, conf)).toString(),
    );
    const [a, b] = [await msUntilSoftCut(ours.port), await msUntilSoftCut(redis.port)];
    // Over 1 MiB from (about) the first messages; cut once that has lasted more than 2 s,
    // by the once-a-second check in both.
    assert.ok(a >= 2000 && b >= 2000, `cut after ${a} ms (ours), ${b} ms (redis-server)`);
    assert.ok(a < 8000 && b < 8000, `cut after ${a} ms (ours), ${b} ms (redis-server)`);
  } finally {
    await ours.close();
    await redis.stop();
  }
});
