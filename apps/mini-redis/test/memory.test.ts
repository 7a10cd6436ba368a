// Memory given back: the parser and the reply writer keep no oversized buffer after the command
// that needed one, a big argument's buffer grows to its size and no further, big values go out
// without being copied, and a backed-up socket is handed exactly what is counted.
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { test } from "node:test";
import type { Args } from "../src/args.ts";
import { startServer } from "../src/index.ts";
import { type CommandSink, RequestParser } from "../src/parse.ts";
import { ReplyWriter } from "../src/reply.ts";
import { cmd, exchange } from "./helpers.ts";

const MB = 1024 * 1024;

function sink(onCommand: (args: Args) => void): CommandSink {
  return {
    onCommand(args) {
      onCommand(args);
      return true;
    },
    onProtocolError(message) {
      throw new Error(message);
    },
  };
}

/** Feeds `bytes` in `piece`-byte reads, noting the largest buffer the parser held. */
function feedInPieces(parser: RequestParser, bytes: Buffer, piece: number, s: CommandSink) {
  let peak = 0;
  for (let at = 0; at < bytes.length; at += piece) {
    parser.feed(bytes.subarray(at, at + piece), s);
    peak = Math.max(peak, parser.capacity);
  }
  return peak;
}

test("a 24 MB argument's buffer grows to its size, not the next power of two, and is given back", () => {
  const parser = new RequestParser();
  const value = Buffer.alloc(24 * MB, "x");
  let got = 0;
  const peak = feedInPieces(
    parser,
    cmd("SET", "k", value),
    64 * 1024,
    sink((a) => {
      got = a.len(2);
    }),
  );
  assert.equal(got, value.length);
  assert.ok(peak < 24 * MB + 64 * 1024, `peak ${peak}: doubling would reach 32 MB`);
  assert.ok(parser.capacity <= MB, `kept ${parser.capacity} after the command`);
});

test("a command of many small arguments is given back too", () => {
  const parser = new RequestParser();
  const parts = Array.from({ length: 200_000 }, (_, i) => cmd(`member:${i}`).subarray(4));
  let argc = 0;
  feedInPieces(
    parser,
    Buffer.concat([Buffer.from("*200001\r\n$3\r\nDEL\r\n"), ...parts]),
    64 * 1024,
    sink((a) => {
      argc = a.argc;
    }),
  );
  assert.equal(argc, 200_001);
  assert.ok(parser.capacity <= MB);
});

/** A socket stand-in that keeps what it is given, as a socket whose peer does not read. */
function stuckSocket(): { socket: Socket; written: Buffer[] } {
  const written: Buffer[] = [];
  let queued = 0;
  const socket = {
    get writableLength() {
      return queued;
    },
    write(b: Buffer) {
      written.push(b);
      queued += b.length;
      return false;
    },
    cork() {},
    uncork() {},
  } as unknown as Socket;
  return { socket, written };
}

test("big stored values and pub/sub frames are sent without a copy; small output is copied exactly when backed up", () => {
  const out = new ReplyWriter();
  const { socket, written } = stuckSocket();
  const value = Buffer.alloc(MB, "v");
  for (let i = 0; i < 100; i++) {
    out.bulkShared(value);
    out.flush(socket);
  }
  assert.equal(written.filter((b) => b === value).length, 100, "the value itself, 100 times");
  assert.ok(out.capacity <= 64 * 1024);

  written.length = 0;
  const frame = Buffer.from("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n");
  for (let i = 0; i < 50; i++) {
    for (let j = 0; j < 16; j++) out.pushFrame(frame);
    out.flush(socket);
  }
  for (const b of written) {
    assert.equal(b.length, frame.length * 16);
    // A copy with its own memory: neither a slice of our buffer nor of Node's shared pool.
    assert.equal(b.buffer.byteLength, b.length);
  }
});

test("the writer gives back a buffer grown for one big copied reply", () => {
  const out = new ReplyWriter();
  const { socket } = stuckSocket();
  out.bulk(Buffer.alloc(4 * MB));
  assert.ok(out.capacity >= 4 * MB);
  out.flush(socket);
  assert.ok(out.capacity <= 64 * 1024);
});

test("a key longer than any stored is answered as missing without being made a string", async () => {
  const server = await startServer({ port: 0 });
  try {
    const long = "k".repeat(1000);
    const longer = `${long}!`;
    assert.equal(server.db.longestKey, 0);
    const out = await exchange(
      server.port,
      Buffer.concat([
        cmd("SET", long, "v"),
        cmd("GET", longer),
        cmd("EXISTS", long, longer, long),
        cmd("TTL", longer),
        cmd("DEL", longer, long),
        cmd("GET", long),
      ]),
    );
    assert.equal(out.toString(), "+OK\r\n$-1\r\n:2\r\n:-2\r\n:1\r\n$-1\r\n");
    assert.equal(server.db.longestKey, 1000);
  } finally {
    await server.close();
  }
});
