// Byte-level server tests, in the style of tokio mini-redis's tests/server.rs: a server on port 0,
// raw commands written to a TCP socket, replies compared byte for byte.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock, type RunningServer, startServer } from "../src/index.ts";
import { cmd, connect, exchange, readBytes, readUntilClose } from "./helpers.ts";

const clock = new ManualClock();
let server: RunningServer;
let port: number;

before(async () => {
  server = await startServer({ port: 0, clock });
  port = server.port;
});
after(() => server.close());

const reply = async (...parts: Array<string | Buffer>) =>
  (await exchange(port, cmd(...parts))).toString("latin1");

describe("key/value commands", () => {
  test("GET of a missing key, SET, then GET", async () => {
    assert.equal(await reply("GET", "kv:hello"), "$-1\r\n");
    assert.equal(await reply("SET", "kv:hello", "world"), "+OK\r\n");
    assert.equal(await reply("GET", "kv:hello"), "$5\r\nworld\r\n");
  });

  test("SET NX, XX and GET options", async () => {
    assert.equal(await reply("SET", "kv:nx", "1", "NX"), "+OK\r\n");
    assert.equal(await reply("SET", "kv:nx", "2", "NX"), "$-1\r\n");
    assert.equal(await reply("SET", "kv:xx", "1", "XX"), "$-1\r\n");
    assert.equal(await reply("SET", "kv:nx", "3", "XX", "GET"), "$1\r\n1\r\n");
    assert.equal(await reply("GET", "kv:nx"), "$1\r\n3\r\n");
    assert.equal(await reply("SET", "kv:nx", "4", "NX", "XX"), "-ERR syntax error\r\n");
    assert.equal(await reply("SET", "kv:nx", "4", "EX", "1", "PX", "5"), "-ERR syntax error\r\n");
    assert.equal(await reply("SET", "kv:nx", "4", "bogus"), "-ERR syntax error\r\n");
  });

  test("SET expiry arguments are validated as Redis does", async () => {
    assert.equal(
      await reply("SET", "kv:e", "v", "EX", "0"),
      "-ERR invalid expire time in 'set' command\r\n",
    );
    assert.equal(
      await reply("SET", "kv:e", "v", "PX", "-5"),
      "-ERR invalid expire time in 'set' command\r\n",
    );
    assert.equal(
      await reply("SET", "kv:e", "v", "EX", "soon"),
      "-ERR value is not an integer or out of range\r\n",
    );
    assert.equal(await reply("SET", "kv:e", "v", "PX"), "-ERR syntax error\r\n");
  });

  test("DEL and EXISTS count keys", async () => {
    await reply("SET", "kv:a", "1");
    await reply("SET", "kv:b", "2");
    assert.equal(await reply("EXISTS", "kv:a", "kv:a", "kv:none"), ":2\r\n");
    assert.equal(await reply("DEL", "kv:a", "kv:b", "kv:none"), ":2\r\n");
    assert.equal(await reply("EXISTS", "kv:a"), ":0\r\n");
  });

  test("keys and values are binary-safe (1 MiB of every byte value)", async () => {
    const key = Buffer.from([0, 255, 13, 10, 0x80, 0xc3]);
    const value = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7919) & 0xff;
    assert.equal(await reply("SET", key, value), "+OK\r\n");
    const got = await exchange(port, cmd("GET", key));
    const header = Buffer.from(`$${value.length}\r\n`);
    assert.deepEqual(got.subarray(0, header.length), header);
    assert.ok(got.subarray(header.length, header.length + value.length).equals(value));
    assert.equal(got.length, header.length + value.length + 2);
  });

  test("a 1 MiB value sent one byte at a time at first, then in odd-sized pieces", async () => {
    const value = Buffer.alloc(1024 * 1024, 0xab);
    const frame = cmd("SET", "kv:pieces", value);
    const s = await connect(port);
    let at = 0;
    for (; at < 40; at++) s.write(frame.subarray(at, at + 1));
    while (at < frame.length) {
      const n = Math.min(65_537, frame.length - at);
      s.write(frame.subarray(at, at + n));
      at += n;
    }
    assert.equal((await readBytes(s, 5)).toString(), "+OK\r\n");
    s.destroy();
    const got = await exchange(port, cmd("GET", "kv:pieces"));
    assert.equal(got.length, value.length + `$${value.length}\r\n`.length + 2);
  });
});

describe("connection commands", () => {
  test("PING, PING message, ECHO", async () => {
    assert.equal(await reply("PING"), "+PONG\r\n");
    assert.equal(await reply("PING", "hey"), "$3\r\nhey\r\n");
    assert.equal(await reply("ECHO", "a\r\nb"), "$4\r\na\r\nb\r\n");
    assert.equal(
      await reply("PING", "a", "b"),
      "-ERR wrong number of arguments for 'ping' command\r\n",
    );
  });

  test("inline commands, as typed into telnet", async () => {
    const out = await exchange(port, 'PING\r\nset kv:inline "a b\\x41"\r\n\r\nget kv:inline\n');
    assert.equal(out.toString(), "+PONG\r\n+OK\r\n$4\r\na bA\r\n");
  });

  test("unknown commands get an error and the connection stays open", async () => {
    const out = await exchange(port, Buffer.concat([cmd("NOPE", "x\r\ny", "z"), cmd("PING")]));
    assert.equal(
      out.toString(),
      "-ERR unknown command 'NOPE', with args beginning with: 'x  y' 'z' \r\n+PONG\r\n",
    );
  });

  test("wrong number of arguments", async () => {
    assert.equal(await reply("GET"), "-ERR wrong number of arguments for 'get' command\r\n");
    assert.equal(await reply("SET", "k"), "-ERR wrong number of arguments for 'set' command\r\n");
  });

  test("QUIT replies OK, then the server closes", async () => {
    const s = await connect(port);
    s.write(Buffer.concat([cmd("QUIT"), cmd("PING")]));
    assert.equal((await readUntilClose(s)).toString(), "+OK\r\n");
  });

  test("the commands clients send when they connect", async () => {
    assert.equal(await reply("CLIENT", "SETINFO", "LIB-NAME", "x"), "+OK\r\n");
    assert.equal(await reply("SELECT", "0"), "+OK\r\n");
    assert.equal(await reply("SELECT", "1"), "-ERR DB index is out of range\r\n");
    assert.equal(await reply("HELLO", "4"), "-NOPROTO unsupported protocol version\r\n");
    assert.match(await reply("HELLO", "2"), /^\*14\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n/);
    assert.match(await reply("INFO"), /loading:0\r\n/);
    assert.equal(
      await reply("CONFIG", "GET", "appendonly"),
      "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n",
    );
    assert.equal(await reply("CONFIG", "GET", "nothing-like-this"), "*0\r\n");
    assert.equal(await reply("COMMAND", "DOCS"), "*0\r\n");
  });
});

describe("RESP3, after HELLO 3", () => {
  test("null, map, verbatim and push replies", async () => {
    const out = await exchange(
      port,
      Buffer.concat([
        cmd("HELLO", "3"),
        cmd("GET", "resp3:none"),
        cmd("CONFIG", "GET", "appendonly"),
        cmd("SUBSCRIBE", "resp3"),
        cmd("GET", "resp3:none"), // allowed in subscribe mode with RESP3
        cmd("UNSUBSCRIBE"),
        cmd("UNSUBSCRIBE"),
      ]),
    );
    const text = out.toString();
    assert.match(text, /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n/);
    assert.ok(
      text.endsWith(
        "_\r\n%1\r\n$10\r\nappendonly\r\n$2\r\nno\r\n" +
          ">3\r\n$9\r\nsubscribe\r\n$5\r\nresp3\r\n:1\r\n" +
          "_\r\n" +
          ">3\r\n$11\r\nunsubscribe\r\n$5\r\nresp3\r\n:0\r\n" +
          ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n",
      ),
      JSON.stringify(text),
    );
  });

  test("a subscriber publishing to its own channel gets the message before the reply", async () => {
    const out = await exchange(
      port,
      Buffer.concat([cmd("HELLO", "3"), cmd("SUBSCRIBE", "self"), cmd("PUBLISH", "self", "x")]),
    );
    // Redis queues the message, then the PUBLISH reply (checked against redis-server 7.0).
    assert.ok(
      out
        .toString()
        .endsWith(
          ">3\r\n$9\r\nsubscribe\r\n$4\r\nself\r\n:1\r\n" +
            ">3\r\n$7\r\nmessage\r\n$4\r\nself\r\n$1\r\nx\r\n:1\r\n",
        ),
      JSON.stringify(out.toString()),
    );
  });
});

describe("expiry, with an injected clock", () => {
  test("a key is never returned after its deadline, even before the purge runs", async () => {
    assert.equal(await reply("SET", "ex:a", "v", "PX", "100"), "+OK\r\n");
    clock.advance(100);
    assert.equal(await reply("GET", "ex:a"), "$1\r\nv\r\n"); // the deadline itself is still valid
    clock.advance(1);
    assert.equal(await reply("GET", "ex:a"), "$-1\r\n");
    assert.equal(await reply("EXISTS", "ex:a"), ":0\r\n");
  });

  test("EX counts seconds; TTL and PTTL report what is left", async () => {
    await reply("SET", "ex:b", "v", "EX", "10");
    assert.equal(await reply("TTL", "ex:b"), ":10\r\n");
    clock.advance(2500);
    assert.equal(await reply("PTTL", "ex:b"), ":7500\r\n");
    assert.equal(await reply("TTL", "kv:none"), ":-2\r\n");
    await reply("SET", "ex:c", "v");
    assert.equal(await reply("TTL", "ex:c"), ":-1\r\n");
  });

  test("SET without options clears the deadline; KEEPTTL keeps it", async () => {
    await reply("SET", "ex:d", "v", "PX", "50");
    await reply("SET", "ex:d", "w");
    await reply("SET", "ex:e", "v", "PX", "50");
    await reply("SET", "ex:e", "w", "KEEPTTL");
    clock.advance(51);
    assert.equal(await reply("GET", "ex:d"), "$1\r\nw\r\n");
    assert.equal(await reply("GET", "ex:e"), "$-1\r\n");
  });

  test("PXAT in the past stores a key that is already gone", async () => {
    await reply("SET", "ex:f", "v", "PXAT", String(clock.now() - 1000));
    assert.equal(await reply("GET", "ex:f"), "$-1\r\n");
  });

  test("the purge removes expired keys nobody reads", async () => {
    await reply("FLUSHDB");
    for (let i = 0; i < 100; i++) await reply("SET", `purge:${i}`, "v", "PX", String(10 + i));
    await reply("SET", "purge:keep", "v");
    assert.equal(await reply("DBSIZE"), ":101\r\n");
    clock.advance(60); // keys 0..49 are past their deadline
    assert.equal(server.db.purgeExpired(), 50);
    assert.equal(await reply("DBSIZE"), ":51\r\n");
    clock.advance(1000);
    assert.equal(server.db.purgeExpired(), 50);
    assert.equal(await reply("DBSIZE"), ":1\r\n");
  });
});

describe("pipelining", () => {
  test("10,000 commands in one write get 10,000 replies in order", async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      parts.push(cmd("SET", `pipe:${i}`, String(i)), cmd("GET", `pipe:${i}`));
    }
    const out = (await exchange(port, Buffer.concat(parts))).toString();
    let expected = "";
    for (let i = 0; i < 5000; i++) expected += `+OK\r\n$${String(i).length}\r\n${i}\r\n`;
    assert.equal(out, expected);
  });
});

describe("pub/sub", () => {
  test("SUBSCRIBE, PUBLISH fan-out, UNSUBSCRIBE", async () => {
    const a = await connect(port);
    const b = await connect(port);
    a.write(cmd("SUBSCRIBE", "news", "sport"));
    b.write(cmd("SUBSCRIBE", "news"));
    const subA =
      "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n";
    assert.equal((await readBytes(a, subA.length)).toString(), subA);
    const subB = "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";
    assert.equal((await readBytes(b, subB.length)).toString(), subB);
    assert.equal(await reply("PUBLISH", "news", "hi"), ":2\r\n");
    assert.equal(await reply("PUBLISH", "sport", "goal"), ":1\r\n");
    assert.equal(await reply("PUBLISH", "nobody", "x"), ":0\r\n");
    const msgA = "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n";
    const msgA2 = "*3\r\n$7\r\nmessage\r\n$5\r\nsport\r\n$4\r\ngoal\r\n";
    assert.equal((await readBytes(a, msgA.length + msgA2.length)).toString(), msgA + msgA2);
    assert.equal((await readBytes(b, msgA.length)).toString(), msgA);

    a.write(cmd("UNSUBSCRIBE"));
    const unsub =
      "*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:0\r\n";
    assert.equal((await readBytes(a, unsub.length)).toString(), unsub);
    assert.equal(await reply("PUBLISH", "sport", "again"), ":0\r\n");
    // Out of subscribe mode, ordinary commands work again.
    a.write(cmd("PING"));
    assert.equal((await readBytes(a, 7)).toString(), "+PONG\r\n");
    a.destroy();
    b.destroy();
  });

  test("subscribe mode allows only (UN)SUBSCRIBE, PING and QUIT", async () => {
    const out = await exchange(
      port,
      Buffer.concat([cmd("SUBSCRIBE", "c"), cmd("GET", "x"), cmd("PING"), cmd("PING", "m")]),
    );
    assert.equal(
      out.toString(),
      "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n" +
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
        "*2\r\n$4\r\npong\r\n$0\r\n\r\n" +
        "*2\r\n$4\r\npong\r\n$1\r\nm\r\n",
    );
  });

  test("UNSUBSCRIBE with no subscriptions", async () => {
    assert.equal(await reply("UNSUBSCRIBE"), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  });

  test("a closed subscriber stops counting as a receiver", async () => {
    const s = await connect(port);
    s.write(cmd("SUBSCRIBE", "gone"));
    await readBytes(s, "*3\r\n$9\r\nsubscribe\r\n$4\r\ngone\r\n:1\r\n".length);
    const closed = new Promise((r) => s.once("close", r));
    s.destroy();
    await closed;
    // The server notices the close asynchronously; poll until it has.
    let n = "";
    for (let i = 0; i < 100 && n !== ":0\r\n"; i++) n = await reply("PUBLISH", "gone", "x");
    assert.equal(n, ":0\r\n");
  });
});
