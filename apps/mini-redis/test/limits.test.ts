// Limits and misbehaving clients: protocol errors, length limits, the client limit, a subscriber
// that never reads, and a half-sent frame that must not hold up anyone else.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startServer } from "../src/index.ts";
import { cmd, connect, exchange, readBytes, readUntilClose } from "./helpers.ts";

test("protocol errors get Redis's reply, then the connection is closed", async () => {
  const server = await startServer({ port: 0 });
  try {
    const cases: Array<[string, string]> = [
      ["*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"],
      ["*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
      ["*2\r\n$3\r\nGET\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
      ['get "a\r\n', "-ERR Protocol error: unbalanced quotes in request\r\n"],
      ['"a"b\r\n', "-ERR Protocol error: unbalanced quotes in request\r\n"],
      ["*2\r\n$3\r\nGET\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
    ];
    for (const [input, expected] of cases) {
      const s = await connect(server.port);
      // A PING after the bad frame must not be answered: the connection is gone by then.
      s.write(Buffer.concat([Buffer.from(input), cmd("PING")]));
      const out = (await readUntilClose(s)).toString("latin1");
      assert.equal(out, expected, `for ${JSON.stringify(input)}`);
    }
  } finally {
    await server.close();
  }
});

test("the default limits: 512 MB bulk strings, 1,048,576 arguments", async () => {
  const server = await startServer({ port: 0 });
  try {
    const tooLong = await exchange(server.port, "*2\r\n$3\r\nGET\r\n$536870913\r\n");
    assert.equal(tooLong.toString(), "-ERR Protocol error: invalid bulk length\r\n");
    const tooMany = await exchange(server.port, "*1048577\r\n");
    assert.equal(tooMany.toString(), "-ERR Protocol error: invalid multibulk length\r\n");
    // Just at the limits the headers are accepted (the payload is simply still to come).
    const s = await connect(server.port);
    s.write("*1048576\r\n$536870912\r\nabc");
    s.write(cmd("PING"));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.destroyed, false);
    s.destroy();
  } finally {
    await server.close();
  }
});

test("configured limits, and the 64 KiB cap on a line without newline", async () => {
  const server = await startServer({ port: 0, maxBulkLength: 10, maxMultibulkLength: 3 });
  try {
    assert.equal(
      (await exchange(server.port, cmd("SET", "k", "12345678901"))).toString(),
      "-ERR Protocol error: invalid bulk length\r\n",
    );
    assert.equal(
      (await exchange(server.port, cmd("SET", "k", "1234567890"))).toString(),
      "+OK\r\n",
    );
    assert.equal(
      (await exchange(server.port, cmd("SET", "k", "v", "NX"))).toString(),
      "-ERR Protocol error: invalid multibulk length\r\n",
    );
    const s = await connect(server.port);
    s.write(Buffer.alloc(70 * 1024, "a"));
    assert.equal(
      (await readUntilClose(s)).toString(),
      "-ERR Protocol error: too big inline request\r\n",
    );
  } finally {
    await server.close();
  }
});

test("a half-sent frame on one connection does not delay the others", async () => {
  const server = await startServer({ port: 0 });
  try {
    const slow = await connect(server.port);
    slow.write("*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$100\r\nonly part of it");
    for (let i = 0; i < 20; i++) {
      assert.equal((await exchange(server.port, cmd("PING"))).toString(), "+PONG\r\n");
    }
    // The slow client can still finish its command later.
    slow.write(Buffer.alloc(100 - "only part of it".length, "x"));
    slow.write("\r\n");
    assert.equal((await readBytes(slow, 5)).toString(), "+OK\r\n");
    slow.destroy();
  } finally {
    await server.close();
  }
});

test("max clients: the next client gets Redis's error and is closed; a freed slot is reused", async () => {
  const server = await startServer({ port: 0, maxClients: 3 });
  try {
    const held = [
      await connect(server.port),
      await connect(server.port),
      await connect(server.port),
    ];
    for (const s of held) {
      s.write(cmd("PING"));
      assert.equal((await readBytes(s, 7)).toString(), "+PONG\r\n");
    }
    const extra = await connect(server.port);
    assert.equal(
      (await readUntilClose(extra)).toString(),
      "-ERR max number of clients reached\r\n",
    );
    const gone = new Promise((r) => held[0]!.once("close", r));
    held[0]!.destroy();
    await gone;
    // The server sees the close asynchronously; retry until the slot is free.
    let out = "";
    for (let i = 0; i < 50 && out !== "+PONG\r\n"; i++) {
      out = (await exchange(server.port, cmd("PING"))).toString();
      if (out !== "+PONG\r\n") await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(out, "+PONG\r\n");
    for (const s of held) s.destroy();
  } finally {
    await server.close();
  }
});

test("a subscriber that does not read is disconnected at the output limit", async () => {
  const server = await startServer({ port: 0, pubsubOutputLimit: 256 * 1024 });
  try {
    const sub = await connect(server.port);
    sub.write(cmd("SUBSCRIBE", "firehose"));
    await readBytes(sub, "*3\r\n$9\r\nsubscribe\r\n$8\r\nfirehose\r\n:1\r\n".length);
    sub.pause(); // stop reading: the kernel buffers fill, then the server's
    const pub = await connect(server.port);
    const message = Buffer.alloc(64 * 1024, "m");
    let receivers = 1;
    let sent = 0;
    // Publish until the server drops the subscriber (the kernel absorbs a few MB first).
    while (receivers === 1 && sent < 2000) {
      pub.write(cmd("PUBLISH", "firehose", message));
      const r = (await readBytes(pub, 4)).toString();
      receivers = Number(r.slice(1, 2));
      sent++;
    }
    assert.equal(receivers, 0, "the subscriber was dropped");
    assert.ok(sent > 4, "it was not dropped before the limit was reached");
    pub.destroy();
    sub.destroy();
  } finally {
    await server.close();
  }
});
