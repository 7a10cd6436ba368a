// Parser fuzzing: random and mutated frames, cut at random places. The parser must never throw,
// hang or misparse a valid command; the server must survive garbage on some connections while
// another connection keeps getting correct answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Args } from "../src/args.ts";
import { startServer } from "../src/index.ts";
import { RequestParser } from "../src/parse.ts";
import { cmd, connect, readBytes, readUntilClose } from "./helpers.ts";

/** A small seeded PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const WORDS = [
  "GET",
  "SET",
  "PING",
  "ECHO",
  "DEL",
  "EXISTS",
  "PUBLISH",
  "EX",
  "PX",
  "NX",
  "*",
  "$",
];

function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

function validCommand(): Buffer[] {
  const n = 1 + int(4);
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(rand() < 0.5 ? Buffer.from(WORDS[int(WORDS.length)]!) : randomBytes(int(40)));
  }
  return parts;
}

/** One fuzz frame: valid, random bytes, or a valid frame mutated in one of several ways. */
function fuzzFrame(): { bytes: Buffer; args?: Buffer[] } {
  const kind = int(6);
  const args = validCommand();
  const frame = cmd(...args);
  switch (kind) {
    case 0:
      return { bytes: frame, args };
    case 1:
      return { bytes: randomBytes(int(64)) };
    case 2: {
      // flip a few bytes
      const b = Buffer.from(frame);
      for (let i = 0, k = 1 + int(3); i < k; i++) b[int(b.length)] = int(256);
      return { bytes: b };
    }
    case 3:
      // truncated
      return { bytes: frame.subarray(0, int(frame.length)) };
    case 4: {
      // a hostile header: huge, negative or non-numeric lengths
      const heads = [
        "*-1",
        "*0",
        "*99999999999",
        "$-2",
        "$abc",
        "*1048577",
        "$536870913",
        "*2\r\n$9",
      ];
      return { bytes: Buffer.concat([Buffer.from(`${heads[int(heads.length)]}\r\n`), frame]) };
    }
    default: {
      // inline text with quotes and escapes
      const text = ['"a\\x4', "'b\\'", "ping", '"\\n"', "set a b", "\t", "\\"][int(7)]!;
      return { bytes: Buffer.from(`${text}${rand() < 0.5 ? "\r\n" : "\n"}`) };
    }
  }
}

function copyArgs(a: Args): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < a.argc; i++) out.push(a.copy(i));
  return out;
}

test(`parser: 100,000 random and mutated frames, cut at random places (seed ${SEED})`, {
  timeout: 60_000,
}, () => {
  let frames = 0;
  let valid = 0;
  while (frames < 100_000) {
    const parser = new RequestParser({ maxBulkLength: 1 << 20, maxMultibulkLength: 1 << 10 });
    const seen: Buffer[][] = [];
    let failed = false;
    const sink = {
      onCommand: (a: Args) => {
        seen.push(copyArgs(a));
        return true;
      },
      onProtocolError: () => {
        failed = true;
      },
    };
    // A valid command first: whatever follows, it must come out exactly as sent.
    const first = validCommand();
    const stream = [cmd(...first)];
    for (let i = 0, n = 1 + int(8); i < n; i++) stream.push(fuzzFrame().bytes);
    frames += stream.length;
    const all = Buffer.concat(stream);
    let at = 0;
    while (at < all.length && !failed) {
      const n = 1 + int(Math.min(all.length - at, 1 + int(64)));
      parser.feed(all.subarray(at, at + n), sink);
      at += n;
    }
    assert.ok(seen.length >= 1, `seed ${SEED}: the leading valid command was parsed`);
    assert.deepEqual(seen[0], first, `seed ${SEED}: the leading valid command is intact`);
    valid++;
  }
  assert.ok(valid > 10_000);
});

test(`parser: valid commands split at every byte boundary parse identically (seed ${SEED})`, {
  timeout: 60_000,
}, () => {
  for (let round = 0; round < 200; round++) {
    const commands = [validCommand(), validCommand(), validCommand()];
    const bytes = Buffer.concat(commands.map((c) => cmd(...c)));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new RequestParser();
      const seen: Buffer[][] = [];
      const sink = {
        onCommand: (a: Args) => {
          seen.push(copyArgs(a));
          return true;
        },
        onProtocolError: (m: string) => assert.fail(`unexpected protocol error ${m}`),
      };
      parser.feed(bytes.subarray(0, cut), sink);
      parser.feed(bytes.subarray(cut), sink);
      assert.deepEqual(seen, commands);
      assert.equal(parser.pending, 0);
    }
  }
});

test(`server: garbage on 16 connections does no harm to a well-behaved one (seed ${SEED})`, {
  timeout: 60_000,
}, async () => {
  const server = await startServer({ port: 0, maxBulkLength: 1 << 20 });
  try {
    const witness = await connect(server.port);
    let stop = false;
    let checks = 0;
    // The witness keeps asking ECHO with a random payload and checks every answer.
    const witnessLoop = (async () => {
      while (!stop) {
        const payload = randomBytes(1 + int(100));
        witness.write(cmd("ECHO", payload));
        const header = Buffer.from(`$${payload.length}\r\n`);
        const got = await readBytes(witness, header.length + payload.length + 2);
        assert.ok(got.equals(Buffer.concat([header, payload, Buffer.from("\r\n")])));
        checks++;
      }
    })();
    const attackers = Array.from({ length: 16 }, async () => {
      for (let round = 0; round < 5; round++) {
        const s = await connect(server.port);
        const frames: Buffer[] = [];
        for (let i = 0; i < 200; i++) frames.push(fuzzFrame().bytes);
        s.end(Buffer.concat(frames));
        // The server must close every connection it was sent garbage on (no hang).
        await readUntilClose(s);
      }
    });
    await Promise.all(attackers);
    stop = true;
    await witnessLoop;
    assert.ok(checks > 0);
    witness.write(cmd("PING"));
    assert.equal((await readBytes(witness, 7)).toString(), "+PONG\r\n");
    witness.destroy();
  } finally {
    await server.close();
  }
});

test("parser: a long line arriving one byte at a time is parsed once, correctly", () => {
  const parser = new RequestParser();
  const seen: Buffer[][] = [];
  const sink = {
    onCommand: (a: Args) => {
      seen.push(copyArgs(a));
      return true;
    },
    onProtocolError: (m: string) => assert.fail(m),
  };
  const value = "v".repeat(60_000);
  // An inline command and a multibulk one, both fed byte by byte.
  const bytes = Buffer.concat([Buffer.from(`ECHO ${value}\r\n`), cmd("ECHO", value)]);
  for (let i = 0; i < bytes.length; i++) parser.feed(bytes.subarray(i, i + 1), sink);
  assert.equal(seen.length, 2);
  assert.equal(seen[0]?.[1]?.toString(), value);
  assert.equal(seen[1]?.[1]?.toString(), value);
});
