// Every client socket reads into one shared buffer (src/socket-read.ts). These clients make the
// server handle reads of several sockets in turn, reads that its tasks cannot take at once
// (a connection sending a turn's 64 KiB of replies, then pausing), and commands split across
// reads: each must still get exactly its own replies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startServer } from "../src/index.ts";
import { cmd, connect, exchange, readBytes } from "./helpers.ts";

function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map(bulk).join("")}`;
}

test("concurrent clients pipelining across many reads each get exactly their own replies", async () => {
  const server = await startServer({ port: 0 });
  try {
    const clients = 6;
    const perClient = 300;
    const scripts = Array.from({ length: clients }, (_, c) => {
      let request = "";
      let expected = "";
      for (let i = 0; i < perClient; i++) {
        // Values of varying length, so that commands straddle the 64 KiB reads at odd places.
        const value = `${c}-${i}-`.padEnd(500 + ((i * 37 + c * 101) % 3000), String(c));
        request += command("SET", `k${c}:${i}`, value) + command("GET", `k${c}:${i}`);
        expected += `+OK\r\n${bulk(value)}`;
      }
      return { request, expected };
    });
    const replies = await Promise.all(scripts.map((s) => exchange(server.port, s.request)));
    for (let c = 0; c < clients; c++) {
      assert.equal(replies[c]!.length, Buffer.byteLength(scripts[c]!.expected), `client ${c}`);
      assert.ok(replies[c]!.equals(Buffer.from(scripts[c]!.expected)), `client ${c}'s replies`);
    }
  } finally {
    await server.close();
  }
});

test("a read put back for back-pressure keeps its bytes while other clients' reads come in", async () => {
  const server = await startServer({ port: 0 });
  try {
    const values = Array.from({ length: 10 }, (_, i) => Buffer.alloc(62 * 1024, `${i}`));
    const setup = await connect(server.port);
    setup.write(Buffer.concat(values.map((v, i) => cmd("SET", `k${i}`, v))));
    await readBytes(setup, 5 * values.length);
    // A client that asks for replies one read at a time and does not read them: once 1 MiB
    // waits in its socket, its next read is put back until it reads.
    const hog = await connect(server.port);
    hog.pause();
    const gets = 300;
    for (let i = 0; i < gets; i++) {
      hog.write(cmd("GET", `k${i % values.length}`));
      await new Promise((r) => setTimeout(r, 1));
    }
    // Meanwhile another client's reads go through the shared buffer.
    const other = await connect(server.port);
    for (let i = 0; i < 50; i++) {
      other.write(cmd("SET", `o${i}`, "x".repeat(100 + i)));
      assert.equal((await readBytes(other, 5)).toString(), "+OK\r\n");
    }
    hog.resume();
    for (let i = 0; i < gets; i++) {
      const v = values[i % values.length]!;
      const expected = Buffer.concat([Buffer.from(`$${v.length}\r\n`), v, Buffer.from("\r\n")]);
      assert.ok((await readBytes(hog, expected.length)).equals(expected), `reply ${i}`);
    }
    hog.destroy();
    other.destroy();
    setup.destroy();
  } finally {
    await server.close();
  }
});
