// The pub/sub output limits on a manual clock: the soft limit (over 8 MiB for 60 s, continuously,
// by default) as well as the hard one, and the parser of `--client-output-buffer-limit`.
import assert from "node:assert/strict";
import type net from "node:net";
import { test } from "node:test";
import { ManualClock, startServer } from "../src/index.ts";
import {
  DEFAULT_PUBSUB_LIMITS,
  OutputLimitState,
  parseMemory,
  parseOutputLimits,
} from "../src/output-limit.ts";
import { cmd, connect, exchange, readBytes, readUntilClose } from "./helpers.ts";

const MiB = 1024 * 1024;

test("the soft limit counts continuous time over it; the hard limit cuts at once", () => {
  const clock = new ManualClock();
  const state = new OutputLimitState();
  const limits = DEFAULT_PUBSUB_LIMITS;
  assert.equal(state.check(9 * MiB, limits, clock), undefined, "over since now");
  clock.advance(60_000);
  assert.equal(state.check(9 * MiB, limits, clock), undefined, "60 s is not more than 60 s");
  clock.advance(1);
  assert.equal(state.check(9 * MiB, limits, clock), "soft");
  assert.equal(state.check(32 * MiB + 1, limits, clock), "hard");

  const again = new OutputLimitState();
  again.check(9 * MiB, limits, clock);
  clock.advance(50_000);
  assert.equal(again.check(8 * MiB, limits, clock), undefined, "back at the limit: reset");
  assert.equal(again.check(9 * MiB, limits, clock), undefined, "over again, from now");
  clock.advance(50_000);
  assert.equal(again.check(9 * MiB, limits, clock), undefined, "100 s since first, 50 s now");
  clock.advance(10_001);
  assert.equal(again.check(9 * MiB, limits, clock), "soft");

  const off = { hard: 0, soft: 0, softSeconds: 60 };
  const free = new OutputLimitState();
  free.check(10_000 * MiB, off, clock);
  clock.advance(3_600_000);
  assert.equal(free.check(10_000 * MiB, off, clock), undefined, "0 turns both limits off");
});

test("--client-output-buffer-limit takes Redis's syntax and units, and says what is wrong", () => {
  assert.deepEqual(parseOutputLimits("pubsub 32mb 8mb 60"), DEFAULT_PUBSUB_LIMITS);
  assert.deepEqual(parseOutputLimits(" PUBSUB 1gb 1000k 0 "), {
    hard: 1024 ** 3,
    soft: 1_000_000,
    softSeconds: 0,
  });
  assert.equal(parseMemory("8388608"), 8 * MiB);
  assert.equal(parseMemory("2m"), 2_000_000);
  assert.equal(parseMemory("2MB"), 2 * MiB);
  assert.equal(parseMemory("2 mb"), undefined);
  assert.equal(parseMemory("-1"), undefined);
  assert.equal(parseMemory("2tb"), undefined);
  assert.match(String(parseOutputLimits("pubsub 32mb 8mb")), /expected "pubsub <hard> <soft>/);
  assert.match(String(parseOutputLimits("normal 0 0 0")), /only the pubsub class/);
  assert.match(String(parseOutputLimits("pubsub 32xb 8mb 60")), /sizes such as 32mb/);
  assert.match(String(parseOutputLimits("pubsub 32mb 8mb 1.5")), /seconds a whole number/);
});

const CHANNEL = "firehose";
const MESSAGE = Buffer.alloc(64 * 1024, "m");
/** What the subscriber receives per message: the same RESP array shape as a command. */
const FRAME_LENGTH = cmd("message", CHANNEL, MESSAGE).length;

async function silentSubscriber(port: number): Promise<net.Socket> {
  const sub = await connect(port);
  sub.write(cmd("SUBSCRIBE", CHANNEL));
  await readBytes(sub, `*3\r\n$9\r\nsubscribe\r\n$8\r\n${CHANNEL}\r\n:1\r\n`.length);
  sub.pause(); // stop reading: the kernel's buffers fill, then the server's output
  return sub;
}

/** Publishes `n` messages of 64 KiB; returns how many subscribers each reached, summed. */
async function publish(pub: net.Socket, n: number): Promise<number> {
  pub.write(Buffer.concat(Array.from({ length: n }, () => cmd("PUBLISH", CHANNEL, MESSAGE))));
  const replies = (await readBytes(pub, 4 * n)).toString();
  return replies.split(":1\r\n").length - 1;
}

// 24 MiB: more than the kernel's socket buffers take on loopback (a few MiB), so well over a
// 1 MiB soft limit in the server's own output, and under the 32 MiB hard limit.
const BURST = 384;

test("a subscriber over the soft limit for longer than its seconds is cut, even with no more messages", async () => {
  const clock = new ManualClock();
  const server = await startServer({ port: 0, clock, pubsubSoftLimit: MiB });
  try {
    const sub = await silentSubscriber(server.port);
    const pub = await connect(server.port);
    assert.equal(await publish(pub, BURST), BURST, "under the hard limit: every message queued");
    clock.advance(60_000);
    assert.equal(server.checkOutputLimits(), 0, "60 s over is not more than 60 s");
    assert.equal(await publish(pub, 1), 1);
    clock.advance(1);
    assert.equal(server.checkOutputLimits(), 1, "cut by the once-a-second check");
    assert.equal(await publish(pub, 1), 0, "no longer subscribed");
    sub.resume();
    const got = await readUntilClose(sub);
    assert.ok(got.length < (BURST + 1) * FRAME_LENGTH, "its unsent messages were dropped");
    pub.destroy();
  } finally {
    await server.close();
  }
});

test("a subscriber that catches up starts the soft limit's time again; a message can cut it too", async () => {
  const clock = new ManualClock();
  const server = await startServer({ port: 0, clock, pubsubSoftLimit: MiB, pubsubSoftSeconds: 60 });
  try {
    const sub = await silentSubscriber(server.port);
    const pub = await connect(server.port);
    await publish(pub, BURST);
    clock.advance(50_000);
    sub.resume();
    await readBytes(sub, BURST * FRAME_LENGTH);
    sub.pause();
    assert.equal(server.checkOutputLimits(), 0, "caught up: under the limit again");
    assert.equal(await publish(pub, BURST), BURST);
    clock.advance(50_000);
    assert.equal(server.checkOutputLimits(), 0, "100 s since it first went over, 50 s this time");
    clock.advance(10_001);
    // The next message finds it over the limit for too long, before the timer does. As in
    // Redis, PUBLISH still counts it (the subscriber is cut as the message reaches its output).
    assert.equal(await publish(pub, 1), 1);
    assert.equal(await publish(pub, 1), 0);
    sub.resume();
    await readUntilClose(sub);
    pub.destroy();
  } finally {
    await server.close();
  }
});

test("CONFIG GET client-output-buffer-limit shows the limits in force", async () => {
  const server = await startServer({
    port: 0,
    pubsubOutputLimit: 64 * MiB,
    pubsubSoftLimit: 0,
    pubsubSoftSeconds: 0,
  });
  try {
    const value = "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 0 0";
    assert.equal(
      (await exchange(server.port, cmd("CONFIG", "GET", "client-output-buffer-limit"))).toString(),
      `*2\r\n$26\r\nclient-output-buffer-limit\r\n$${value.length}\r\n${value}\r\n`,
    );
  } finally {
    await server.close();
  }
});
