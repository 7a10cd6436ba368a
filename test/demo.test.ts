// End to end: `npm run demo` comes up, the console-api stream shows mini-redis tasks, the viewer
// returns a mini-redis trace with connection and command spans, and Ctrl-C stops it all (exit 0).
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { createInstrumentClient, type Update } from "@periscope/console-api";

const root = join(import.meta.dirname, "..");

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, "close");
  return port;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Names of tasks the console-api server reports (from the first Updates that carry any). */
function taskNames(update: Update): string[] {
  const names: string[] = [];
  for (const t of update.taskUpdate?.newTasks ?? []) {
    for (const f of t.fields) if (f.strName === "task.name" && f.strVal) names.push(f.strVal);
  }
  return names;
}

test("npm run demo: console tasks, a viewer trace, and a clean Ctrl-C", async () => {
  const ports = {
    redis: await freePort(),
    console: await freePort(),
    ui: await freePort(),
    otlpHttp: await freePort(),
    otlpGrpc: await freePort(),
  };
  const demo: ChildProcess = spawn(
    process.execPath,
    [
      "scripts/demo.ts",
      "--redis-port",
      String(ports.redis),
      "--console-port",
      String(ports.console),
      "--ui-port",
      String(ports.ui),
      "--otlp-http-port",
      String(ports.otlpHttp),
      "--otlp-grpc-port",
      String(ports.otlpGrpc),
      "--in-memory",
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  let out = "";
  demo.stdout?.setEncoding("utf8").on("data", (s: string) => (out += s));
  demo.stderr?.setEncoding("utf8").on("data", (s: string) => (out += s));
  const exited = once(demo, "exit");

  try {
    await until("the demo banner", async () =>
      out.includes("Periscope demo is running") ? true : undefined,
    );
    assert.match(out, new RegExp(`http://127\\.0\\.0\\.1:${ports.ui}/search\\?service=mini-redis`));
    assert.match(out, /\[hello_world\]/, "hello_world ran");

    // The console-api stream shows the connection tasks of mini-redis.
    const client = createInstrumentClient(`http://127.0.0.1:${ports.console}`);
    const stream = client.watchUpdates({});
    const seen = new Set<string>();
    stream.on("data", (u: Update) => {
      for (const n of taskNames(u)) seen.add(n);
    });
    stream.on("error", () => {});
    await until("connection tasks in the console stream", async () =>
      seen.has("connection") ? true : undefined,
    );
    stream.cancel();
    client.close();

    // The viewer has a mini-redis trace with a connection span and command spans under it.
    const base = `http://127.0.0.1:${ports.ui}`;
    const services = await until("mini-redis in /api/services", async () => {
      const r = (await (await fetch(`${base}/api/services`)).json()) as { data: string[] };
      return r.data.includes("mini-redis") ? r.data : undefined;
    });
    assert.ok(services.includes("mini-redis"));
    const trace = await until("a mini-redis trace with commands", async () => {
      const r = (await (
        await fetch(
          `${base}/api/traces?service=mini-redis&operation=connection&limit=20&lookback=1h`,
        )
      ).json()) as {
        data: Array<{
          spans: Array<{
            spanID: string;
            operationName: string;
            references: Array<{ spanID: string }>;
          }>;
        }>;
      };
      return r.data.find((t) => t.spans.length > 1);
    });
    const conn = trace.spans.find((s) => s.operationName === "connection");
    assert.ok(conn, "a connection span");
    const children = trace.spans.filter((s) => s.references.some((r) => r.spanID === conn.spanID));
    assert.ok(children.length > 0, "command spans under the connection span");
  } finally {
    demo.kill("SIGINT");
  }
  const [code] = await exited;
  assert.equal(code, 0, out.slice(-3000));
  for (const [name, port] of Object.entries(ports)) {
    assert.equal(await listening(port), false, `${name} port ${port} is closed after the demo`);
  }
  // No process of this demo run is left behind (its ports are unique to this run).
  const left = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(String(ports.redis)) || l.includes(String(ports.ui)));
  assert.deepEqual(left, []);
});
