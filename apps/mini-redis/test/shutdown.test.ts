// Graceful shutdown: replies to commands the server already received are delivered, then every
// connection is closed and the listener stops accepting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startServer } from "../src/index.ts";
import { cmd, connect, readBytes, readUntilClose } from "./helpers.ts";

test("close() delivers in-flight replies, then closes every connection", async () => {
  const server = await startServer({ port: 0 });
  const value = Buffer.alloc(64 * 1024, "v");
  const setup = await connect(server.port);
  setup.write(cmd("SET", "big", value));
  assert.equal((await readBytes(setup, 5)).toString(), "+OK\r\n");

  // 200 GETs in one write produce 13 MB of replies: far more than the kernel buffers hold, so
  // most of it is still in the server's hands when close() is called.
  const client = await connect(server.port);
  const gets = Buffer.concat(Array.from({ length: 200 }, () => cmd("GET", "big")));
  client.write(gets);
  const first = await readBytes(client, 1); // the server has read the batch and started replying
  client.pause();
  const idle = await connect(server.port); // a connection with nothing in flight

  const closed = server.close();
  client.resume();
  const rest = await readUntilClose(client);
  const one = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from("\r\n")]);
  const all = Buffer.concat([first, rest]);
  assert.equal(all.length, one.length * 200, "every reply arrived, complete");
  assert.ok(all.subarray(0, one.length).equals(one));
  assert.ok(all.subarray(all.length - one.length).equals(one));

  assert.equal((await readUntilClose(idle)).length, 0, "idle connections are closed");
  await readUntilClose(setup);
  await closed;
  await assert.rejects(connect(server.port), /ECONNREFUSED/);
});

test("destroy() drops connections at once", async () => {
  const server = await startServer({ port: 0 });
  const s = await connect(server.port);
  const done = readUntilClose(s);
  server.destroy();
  await done;
  await assert.rejects(connect(server.port), /ECONNREFUSED/);
});

test("a client that sends 10,000 commands and half-closes gets every reply, then EOF", async () => {
  const server = await startServer({ port: 0 });
  try {
    const s = await connect(server.port);
    // 140 KB: more than one read, and the FIN may arrive with the last of it.
    s.end(Buffer.concat(Array.from({ length: 10_000 }, () => cmd("PING"))));
    const out = await readUntilClose(s);
    assert.equal(out.toString(), "+PONG\r\n".repeat(10_000));
  } finally {
    await server.close();
  }
});
