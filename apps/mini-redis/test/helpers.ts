// Test helpers: raw-socket exchanges (bytes in, bytes out) and a throwaway real redis-server to
// compare against, when the Debian package is installed.
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";

const SENTINEL = Buffer.from("*2\r\n$4\r\nECHO\r\n$9\r\n__end__!!\r\n");
const SENTINEL_REPLY = Buffer.from("$9\r\n__end__!!\r\n");
const SENTINEL_SUB_REPLY = Buffer.from(
  "-ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
);

/** Opens a raw TCP connection. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      // Start buffering at once, so that nothing (not even the close) happens unobserved.
      inbox(s);
      resolve(s);
    });
    s.once("error", reject);
  });
}

/**
 * Sends `bytes` then an ECHO sentinel, and returns everything the server replied before the
 * sentinel's reply (or before it closed the connection).
 */
export async function exchange(port: number, bytes: Buffer | string): Promise<Buffer> {
  const s = await connect(port);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    let total = Buffer.alloc(0);
    const finish = (out: Buffer) => {
      s.destroy();
      resolve(out);
    };
    s.on("data", (c: Buffer) => {
      chunks.push(c);
      total = Buffer.concat(chunks);
      for (const end of [SENTINEL_REPLY, SENTINEL_SUB_REPLY]) {
        if (total.length >= end.length && total.subarray(total.length - end.length).equals(end)) {
          finish(total.subarray(0, total.length - end.length));
        }
      }
    });
    s.on("close", () => finish(Buffer.concat(chunks)));
    s.on("error", (e) => {
      if ((e as NodeJS.ErrnoException).code === "ECONNRESET") finish(Buffer.concat(chunks));
      else reject(e);
    });
    s.write(Buffer.concat([Buffer.from(bytes), SENTINEL]));
  });
}

interface Inbox {
  /** What arrived and was not read yet, in pieces (joined only when read: big replies arrive in hundreds of chunks). */
  chunks: Buffer[];
  length: number;
  closed: boolean;
  wake: (() => void) | undefined;
}

/** Joins an inbox's chunks into one buffer. */
function take(box: Inbox): Buffer {
  const all = box.chunks.length === 1 ? box.chunks[0]! : Buffer.concat(box.chunks);
  box.chunks = [all];
  return all;
}
const inboxes = new WeakMap<net.Socket, Inbox>();

/** Buffers everything `s` receives from now on, so that no byte is lost between reads. */
function inbox(s: net.Socket): Inbox {
  let box = inboxes.get(s);
  if (box === undefined) {
    const b: Inbox = { chunks: [], length: 0, closed: s.closed, wake: undefined };
    s.on("data", (c: Buffer) => {
      b.chunks.push(c);
      b.length += c.length;
      b.wake?.();
    });
    s.on("error", () => {});
    s.on("close", () => {
      b.closed = true;
      b.wake?.();
    });
    inboxes.set(s, b);
    box = b;
  }
  return box;
}

/** Reads exactly `n` bytes from `s` (buffering any excess for the next read). */
export async function readBytes(s: net.Socket, n: number): Promise<Buffer> {
  const box = inbox(s);
  while (box.length < n) {
    if (box.closed) throw new Error(`closed after ${box.length} of ${n} bytes`);
    await new Promise<void>((r) => {
      box.wake = r;
    });
    box.wake = undefined;
  }
  const all = take(box);
  box.chunks = [all.subarray(n)];
  box.length -= n;
  return all.subarray(0, n);
}

/** Resolves when the server closes `s`, with the bytes received (and not yet read) until then. */
export async function readUntilClose(s: net.Socket): Promise<Buffer> {
  const box = inbox(s);
  while (!box.closed) {
    await new Promise<void>((r) => {
      box.wake = r;
    });
    box.wake = undefined;
  }
  return take(box);
}

/** Encodes a command as RESP, for readability in tests. */
export function cmd(...parts: Array<string | Buffer>): Buffer {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = Buffer.from(p);
    out.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(out);
}

/** Whether a Debian redis tool is on PATH. */
export function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

/** Tests that need a tool skip locally when it is missing, but must run in CI. */
export function toolSkip(name: string): string | false {
  if (hasTool(name)) return false;
  if (process.env.CI)
    throw new Error(`${name} is required in CI (install Debian redis-server and redis-tools)`);
  return `${name} not installed (apt-get install redis-server redis-tools)`;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts a real redis-server on a free port, without persistence; `args` adds options. */
export async function startRedis(
  args: string[] = [],
): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    try {
      const s = await connect(port);
      s.destroy();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

/**
 * Runs a program to completion and collects its output. Asynchronously: the server under test
 * may live in this process, and a synchronous spawn would block the event loop it needs.
 */
export function runProcess(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}
