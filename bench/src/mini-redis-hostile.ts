// mini-redis and redis-server under hostile and heavy clients, each on a fresh server process:
// a client that pipelines 1000 GETs of a 1 MiB value and never reads (do the others still get
// their PINGs answered? is the memory given back once it leaves?), and a subscriber that never
// reads (how much memory until the server cuts it at the 32 MiB output limit?), and one 1.5 GB
// request (is its memory given back?).
import net from "node:net";
import { type BenchServer, procMemory, startBenchServer } from "./redis-servers.ts";

const MB = 1024 * 1024;

/** RESP for one command. */
function resp(...parts: Array<string | Buffer>): Buffer {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = Buffer.from(p);
    out.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(out);
}

async function open(port: number): Promise<net.Socket> {
  const s = net.connect({ port, host: "127.0.0.1" });
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once("connect", resolve);
    s.once("error", reject);
  });
  s.on("error", () => {});
  return s;
}

/**
 * Sends `bytes` and resolves with the next `n` bytes received. A server that does not answer
 * within 30 s fails the bench instead of hanging it.
 */
function request(s: net.Socket, bytes: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      s.off("data", onData);
      s.off("close", onClose);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) done();
    };
    const onClose = () => done(new Error("connection closed"));
    const timer = setTimeout(
      () => done(new Error(`no reply in 30 s on port ${s.remotePort}`)),
      30_000,
    );
    s.on("data", onData);
    s.once("close", onClose);
    s.write(bytes);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PipelineResult {
  /** Longest PING round trip seen by the other clients, ms. */
  pingMaxMs: number;
  /** Resident memory 5 s after the pipelining client disconnected, bytes. */
  rssAfter: number;
  /** Peak resident memory of the server process, bytes. */
  peak: number;
  /** Resident memory before the pipeline, bytes. */
  rssBefore: number;
}

/**
 * One client sends 1000 GETs of a 1 MiB value in one write and never reads; three others PING
 * in a loop meanwhile. Then the pipeliner disconnects and, 5 s later, we read the server's RSS.
 */
export async function pipelineHog(name: BenchServer["name"]): Promise<PipelineResult> {
  const server = await startBenchServer(name);
  try {
    const setup = await open(server.port);
    await request(setup, resp("SET", "big", Buffer.alloc(MB, "v")), 5);
    setup.destroy();
    const pingers = await Promise.all([0, 1, 2].map(() => open(server.port)));
    let running = true;
    let pingMaxMs = 0;
    const loops = pingers.map(async (p) => {
      const ping = resp("PING");
      while (running) {
        const t0 = performance.now();
        await request(p, ping, 7);
        pingMaxMs = Math.max(pingMaxMs, performance.now() - t0);
      }
    });
    await sleep(300);
    const rssBefore = procMemory(server.child.pid!, "VmRSS");
    pingMaxMs = 0; // only what the pipeline causes
    const hog = await open(server.port);
    hog.pause();
    hog.write(Buffer.concat(Array.from({ length: 1000 }, () => resp("GET", "big"))));
    await sleep(4000);
    running = false;
    await Promise.all(loops);
    for (const p of pingers) p.destroy();
    hog.destroy();
    await sleep(5000);
    return {
      pingMaxMs,
      rssBefore,
      rssAfter: procMemory(server.child.pid!, "VmRSS"),
      peak: procMemory(server.child.pid!, "VmHWM"),
    };
  } finally {
    await server.stop();
  }
}

export interface SubscriberResult {
  /** Peak resident memory of the server process, bytes. */
  peak: number;
  /** Messages published before the subscriber was cut. */
  published: number;
  /** Whether the server cut the subscriber (PUBLISH answered 0). */
  cut: boolean;
}

/**
 * A subscriber that never reads; a publisher sends `size`-byte messages, 16 per write, until
 * PUBLISH reports no receiver (the server cut the subscriber at its output limit).
 */
export async function silentSubscriber(
  name: BenchServer["name"],
  size: number,
): Promise<SubscriberResult> {
  const server = await startBenchServer(name);
  try {
    const sub = await open(server.port);
    await request(sub, resp("SUBSCRIBE", "firehose"), 33);
    sub.pause();
    const pub = await open(server.port);
    const batch = Buffer.concat(
      Array.from({ length: 16 }, () => resp("PUBLISH", "firehose", Buffer.alloc(size, "m"))),
    );
    let published = 0;
    let cut = false;
    // At most 4x the limit: a server that never cuts the subscriber is reported as such.
    while (!cut && published * size < 128 * MB) {
      const replies = (await request(pub, batch, 16 * 4)).toString("latin1");
      published += 16;
      cut = replies.includes(":0\r\n");
    }
    pub.destroy();
    sub.destroy();
    return { peak: procMemory(server.child.pid!, "VmHWM"), published, cut };
  } finally {
    await server.stop();
  }
}

export interface BigRequestResult {
  /** Peak resident memory of the server process, bytes. */
  peak: number;
  /** Resident memory 5 s after the reply, bytes. */
  rssAfter: number;
}

/**
 * One request of 1.5 GB: DEL of three 500 MB keys (none exists, so nothing is kept). Then,
 * 5 s after its reply, the server's RSS.
 */
export async function bigRequest(name: BenchServer["name"]): Promise<BigRequestResult> {
  const server = await startBenchServer(name);
  try {
    const s = await open(server.port);
    const key = Buffer.alloc(500 * MB, "k");
    const reply = new Promise<string>((resolve) =>
      s.once("data", (c: Buffer) => resolve(c.toString())),
    );
    s.write("*4\r\n$3\r\nDEL\r\n");
    for (let i = 0; i < 3; i++) {
      s.write(`$${key.length}\r\n`);
      s.write(key);
      s.write("\r\n");
    }
    const r = await reply;
    if (r !== ":0\r\n") throw new Error(`${name} answered ${JSON.stringify(r)} to the 1.5 GB DEL`);
    await sleep(5000);
    const rssAfter = procMemory(server.child.pid!, "VmRSS");
    s.destroy();
    return { peak: procMemory(server.child.pid!, "VmHWM"), rssAfter };
  } finally {
    await server.stop();
  }
}
