// Conformance: the same byte scripts sent to mini-redis and to a real redis-server must get the
// same bytes back. Only the deliberate differences (one database, the 1,048,576-argument limit,
// the server description) are left out. Needs Debian's redis-server; CI always runs it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type RunningServer, startServer } from "../src/index.ts";
import { cmd, exchange, startRedis, toolSkip } from "./helpers.ts";

const skip = toolSkip("redis-server");
let ours: RunningServer;
let redis: { port: number; stop(): Promise<void> };

before(async () => {
  if (skip) return;
  ours = await startServer({ port: 0 });
  redis = await startRedis();
});
after(async () => {
  if (skip) return;
  await ours.close();
  await redis.stop();
});

const c = Buffer.concat;
const SCRIPTS: Array<[string, Buffer | string]> = [
  ["get missing", cmd("GET", "conf:missing")],
  ["set then get", c([cmd("SET", "conf:k", "v"), cmd("GET", "conf:k")])],
  [
    "set options",
    c([cmd("SET", "conf:n", "1", "NX", "GET"), cmd("SET", "conf:n", "2", "XX", "GET")]),
  ],
  [
    "set errors",
    c([
      cmd("SET", "k", "v", "EX", "0"),
      cmd("SET", "k", "v", "EX", "x"),
      cmd("SET", "k", "v", "NX", "XX"),
      cmd("SET", "k", "v", "PX"),
    ]),
  ],
  ["set keepttl conflict", cmd("SET", "k", "v", "KEEPTTL", "EX", "5")],
  [
    "del exists",
    c([
      cmd("SET", "conf:d", "1"),
      cmd("EXISTS", "conf:d", "conf:d", "x"),
      cmd("DEL", "conf:d", "x"),
    ]),
  ],
  [
    "ttl",
    c([
      cmd("SET", "conf:t", "v", "EX", "100"),
      cmd("TTL", "conf:t"),
      cmd("TTL", "conf:nokey"),
      cmd("SET", "conf:u", "v"),
      cmd("TTL", "conf:u"),
    ]),
  ],
  [
    "ping echo",
    c([cmd("PING"), cmd("PING", "x"), cmd("ECHO", "a\r\nb"), cmd("PING", "a", "b"), cmd("ECHO")]),
  ],
  ["inline", 'PING\r\nping hello\r\nset conf:i "b\\x41c d"\r\nget conf:i\r\n\r\n'],
  ["unknown command", cmd("FOO\r\nbar", "x\ny", "z")],
  ["wrong arity", c([cmd("GET"), cmd("GET", "a", "b"), cmd("SET", "k")])],
  ["subscribe", cmd("SUBSCRIBE", "conf:a", "conf:b")],
  [
    "subscribe mode",
    c([
      cmd("SUBSCRIBE", "conf:a"),
      cmd("GET", "x"),
      cmd("PING"),
      cmd("PING", "m"),
      cmd("FOO"),
      cmd("GET"),
      cmd("UNSUBSCRIBE"),
      cmd("PING"),
    ]),
  ],
  ["unsubscribe", c([cmd("UNSUBSCRIBE"), cmd("UNSUBSCRIBE", "x", "y")])],
  ["publish", cmd("PUBLISH", "conf:nobody", "m")],
  [
    "resp3",
    c([
      cmd("HELLO", "3", "SETNAME", "x"),
      cmd("GET", "conf:missing"),
      cmd("SUBSCRIBE", "conf:r"),
      cmd("GET", "conf:missing"),
      cmd("PING"),
      cmd("UNSUBSCRIBE"),
    ]),
  ],
  ["quit", c([cmd("QUIT"), cmd("PING")])],
  ["empty multibulk", "*0\r\n*-1\r\nPING\r\n"],
  ["protocol: expected $", "*1\r\n+PING\r\n"],
  ["protocol: bulk length", "*2\r\n$3\r\nGET\r\n$-5\r\n"],
  ["protocol: multibulk length", "*abc\r\n"],
  ["protocol: big bulk", "*1\r\n$600000000\r\n"],
  ["protocol: quotes", 'get "a\r\n'],
  ["protocol: closing quote", '"a"b\r\n'],
  ["client", c([cmd("CLIENT", "SETNAME", "x y"), cmd("CLIENT", "GETNAME"), cmd("CLIENT", "FOO")])],
  ["config get", c([cmd("CONFIG", "GET", "save"), cmd("CONFIG", "GET", "appendonly")])],
  ["flushdb syntax", cmd("FLUSHDB", "x")],
];

for (const [name, script] of SCRIPTS) {
  test(`same bytes as redis-server: ${name}`, { skip }, async () => {
    const theirs = await exchange(redis.port, script);
    const mine = await exchange(ours.port, script);
    // Redis reports its own version and client id in HELLO; compare the rest.
    const normalise = (b: Buffer) =>
      b
        .toString("latin1")
        .replace(/\$\d+\r\nversion\r\n\$\d+\r\n[0-9.]+\r\n/, "")
        .replace(/\$2\r\nid\r\n:\d+\r\n/, "");
    assert.equal(normalise(mine), normalise(theirs));
  });
}
