// Helpers for the tarball test: the environment of a user outside the repo, a shell runner, a child
// process whose output can be waited on, polling, and small network probes.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { promisify } from "node:util";

/**
 * The environment of someone outside this repository: no "periscope-source" condition (from the
 * repo's .npmrc via NODE_OPTIONS) and no npm settings inherited from the `npm test` running us.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === "NODE_OPTIONS" || /^npm_/i.test(k) || k.startsWith("PERISCOPE_")) continue;
    if (k.startsWith("OTEL_")) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

const run = promisify(execFile);
export async function sh(cmd: string, args: string[], cwd: string, env = userEnv()) {
  try {
    return await run(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`,
    );
  }
}

/** A child process whose output is collected, with a way to wait for a line to appear in it. */
export class Proc {
  readonly child: ChildProcess;
  out = "";
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  constructor(node: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(node, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (s: string) => (this.out += s));
    this.child.stderr!.setEncoding("utf8").on("data", (s: string) => (this.out += s));
    this.exited = once(this.child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  }
  async waitFor(re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`waited for ${re} in vain; output:\n${this.out.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  stop(): void {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
  }
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** fetch, with the URL in the error when the connection fails. */
export async function get(url: string | URL): Promise<Response> {
  try {
    return await fetch(url);
  } catch (e) {
    throw new Error(`GET ${url}: ${(e as Error).message} (${String((e as Error).cause)})`);
  }
}

export async function freePort(): Promise<number> {
  const srv = createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export function redisPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let got = "";
    s.setEncoding("utf8");
    s.on("connect", () => s.write("*1\r\n$4\r\nPING\r\n"));
    s.on("data", (d: string) => {
      got += d;
      if (got.endsWith("\r\n")) {
        s.destroy();
        resolve(got);
      }
    });
    s.on("error", reject);
  });
}
