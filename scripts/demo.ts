// `npm run demo`: the tutorial in one command. Starts the trace viewer, mini-redis with the console
// subscriber and OTLP export, runs hello_world, then keeps a light load going until Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";

const root = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    "redis-port": { type: "string", default: "6379" },
    "console-port": { type: "string", default: "6669" },
    "ui-port": { type: "string", default: "16686" },
    "otlp-http-port": { type: "string", default: "4318" },
    "otlp-grpc-port": { type: "string", default: "4317" },
    "in-memory": { type: "boolean", default: false },
    load: { type: "boolean", default: true },
    "no-load": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run demo [-- --redis-port 6379 --console-port 6669 --ui-port 16686
                      --otlp-http-port 4318 --otlp-grpc-port 4317 --in-memory --no-load]`);
  process.exit(0);
}

const host = "127.0.0.1";
const ports = {
  redis: Number(values["redis-port"]),
  console: Number(values["console-port"]),
  ui: Number(values["ui-port"]),
  otlpHttp: Number(values["otlp-http-port"]),
  otlpGrpc: Number(values["otlp-grpc-port"]),
};
const children: ChildProcess[] = [];
let loadTimer: NodeJS.Timeout | undefined;
let stopping = false;

/** Starts a child in its own process group, so Ctrl-C reaches only us and we stop it once. */
function start(name: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) process.stdout.write(prefix + line + "\n");
    });
  }
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited unexpectedly (${signal ?? code}); stopping the demo`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const sock = connect(port, host);
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${host}:${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function runToEnd(name: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    const print = (s: string): void => {
      for (const line of s.split("\n")) if (line) process.stdout.write(`[${name}] ${line}\n`);
    };
    child.stdout.on("data", print);
    child.stderr.on("data", print);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  loadTimer?.close();
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
          child.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill("SIGINT");
        }),
    ),
  );
  process.exit(code);
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => void stop(0));
// A closed terminal (EPIPE/EIO on our output) must not kill us before the children are stopped.
process.stdout.on("error", () => void stop(0));
process.stderr.on("error", () => void stop(0));
// Last resort, if we die some other way: no child outlives the demo.
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

const otlpEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://${host}:${ports.otlpHttp}`,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
  // Export within a second, so traces show up in the viewer while you watch.
  OTEL_BSP_SCHEDULE_DELAY: "1000",
};

start("viewer", [
  "packages/cli/bin/periscope.js",
  "viewer",
  "--ui",
  `${host}:${ports.ui}`,
  "--otlp-http",
  `${host}:${ports.otlpHttp}`,
  "--otlp-grpc",
  `${host}:${ports.otlpGrpc}`,
  // The demo exports OTLP only; Jaeger's and Zipkin's ports stay free (`npx periscope viewer`
  // alone opens them all, as Jaeger all-in-one does).
  ...["--jaeger-compact", "--jaeger-binary", "--jaeger-http", "--jaeger-grpc", "--zipkin"].flatMap(
    (flag) => [flag, "off"],
  ),
  ...(values["in-memory"] ? ["--in-memory"] : []),
]);
await Promise.all([waitForPort(ports.ui), waitForPort(ports.otlpHttp)]);

start(
  "mini-redis",
  [
    "apps/mini-redis/bin/mini-redis-server.js",
    "--port",
    String(ports.redis),
    "--console",
    "--otlp",
  ],
  {
    ...otlpEnv,
    PERISCOPE_CONSOLE_BIND: `${host}:${ports.console}`,
    PERISCOPE_LOG: process.env.PERISCOPE_LOG ?? "mini_redis=info",
  },
);
await Promise.all([waitForPort(ports.redis), waitForPort(ports.console)]);

const helloCode = await runToEnd(
  "hello_world",
  ["apps/mini-redis/examples/hello_world.ts", "--port", String(ports.redis), "--otlp"],
  otlpEnv,
);
if (helloCode !== 0) console.error(`[hello_world] exited with ${helloCode}`);

console.log(`
Periscope demo is running.
  console:  npm run console${ports.console === 6669 ? "" : ` -- http://${host}:${ports.console}`}
  viewer:   http://${host}:${ports.ui}/search?service=mini-redis
  redis:    npx mini-redis-cli --port ${ports.redis} get hello
Press Ctrl-C to stop everything.
`);

// A light, steady load so the console and the viewer have something to show. Two clients stay
// connected for as long as the demo runs, so there is always a live task to open: a subscriber
// on the "demo" channel (in the console, a connection task with its subscriber task under it,
// `T`) and a pooled client that sets and gets a key every second. Besides, every second a
// short-lived client connects, sets, gets and publishes, then leaves: one connection task in
// the console (greyed once done) and one trace in the viewer.
if (values.load && !values["no-load"]) {
  const { Client } = await import("@periscope/mini-redis");
  let n = 0;
  const visit = async (): Promise<void> => {
    const client = await Client.connect(ports.redis, host);
    try {
      const key = `demo:${n++ % 20}`;
      await client.set(key, String(n));
      await client.get(key);
      await client.publish("demo", `tick ${n}`);
    } finally {
      await client.close();
    }
  };
  try {
    const subscriber = await (await Client.connect(ports.redis, host)).subscribe(["demo"]);
    void (async () => {
      for await (const _ of subscriber) {
        // Messages arrive once a second; the console shows this connection woken by each.
      }
    })().catch(() => {});
    const pooled = await Client.connect(ports.redis, host);
    if (!stopping) {
      loadTimer = setInterval(() => {
        void visit().catch(() => {});
        void pooled
          .set("demo:pooled", String(n))
          .then(() => pooled.get("demo:pooled"))
          .catch(() => {});
      }, 1000);
    }
  } catch (e) {
    // Ctrl-C while the clients were connecting stops mini-redis under them: not an error.
    if (!stopping) {
      console.error(`[load] ${(e as Error).message}; stopping the demo`);
      void stop(1);
    }
  }
}
