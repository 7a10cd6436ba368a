// The server as the tutorial runs it: `mini-redis-server --console --otlp --metrics-port 0` as a
// child process. A console-api client sees the connection tasks, the Db mutex and the
// client-limit semaphore; /metrics serves the four instruments; after SIGTERM the OTLP receiver
// holds the connection and command spans (and hello_world's client spans), with peer and key.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createInstrumentClient, type Update } from "@periscope/console-api";
import { cmd, connect, readBytes } from "./helpers.ts";
import { type Receiver, startReceiver } from "./otlp-receiver.ts";

const app = join(import.meta.dirname, "..");
let server: ChildProcess;
let receiver: Receiver;
let logs = "";
const ports = { redis: 0, console: 0, metrics: "" };

before(async () => {
  receiver = await startReceiver();
  server = spawn(
    process.execPath,
    ["bin/mini-redis-server.js", "--port", "0", "--console", "--otlp", "--metrics-port", "0"],
    {
      cwd: app,
      env: {
        ...process.env,
        PERISCOPE_LOG: "mini_redis=info",
        PERISCOPE_CONSOLE_BIND: "127.0.0.1:0",
        PERISCOPE_CONSOLE_PUBLISH_INTERVAL: "100ms",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        // Nothing is exported before shutdown: the spans checked below prove the final flush.
        OTEL_BSP_SCHEDULE_DELAY: "600000",
      },
    },
  );
  server.stderr?.setEncoding("utf8").on("data", (d: string) => (logs += d));
  await new Promise<void>((resolve, reject) => {
    server.stdout?.setEncoding("utf8").on("data", (d: string) => {
      logs += d;
      const redis = /accepting inbound connections.*?127\.0\.0\.1:(\d+)/.exec(logs);
      const consoleAddr = /console listening.*?127\.0\.0\.1:(\d+)/.exec(logs);
      const metrics = /serving metrics.*?(http:\/\/\S+\/metrics)/.exec(logs);
      if (redis && consoleAddr && metrics) {
        ports.redis = Number(redis[1]);
        ports.console = Number(consoleAddr[1]);
        ports.metrics = metrics[1] ?? "";
        resolve();
      }
    });
    server.once("exit", (code) => reject(new Error(`server exited (${code}): ${logs}`)));
  });
});

after(async () => {
  if (server.exitCode === null) server.kill("SIGKILL");
  await receiver.close();
});

const fieldValue = (fields: { strName?: string; strVal?: string }[], name: string) =>
  fields.find((f) => f.strName === name)?.strVal;

test("--console: connection tasks, the Db mutex, the client-limit semaphore, subscriber channels", {
  timeout: 30_000,
}, async () => {
  const a = await connect(ports.redis);
  const b = await connect(ports.redis);
  a.write(cmd("SET", "k", "v"));
  assert.equal((await readBytes(a, 5)).toString(), "+OK\r\n");
  b.write(cmd("SUBSCRIBE", "news"));
  await readBytes(b, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n".length);
  a.write(cmd("PUBLISH", "news", "hi"));
  assert.equal((await readBytes(a, 4)).toString(), ":1\r\n");

  const client = createInstrumentClient(`127.0.0.1:${ports.console}`);
  const peers = new Set<string>();
  const connectionTasks = new Set<bigint>();
  let maxPolls = 0n;
  const types = new Map<string, boolean>();
  const stream = client.watchUpdates({});
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on("data", (u: Update) => {
        for (const t of u.taskUpdate?.newTasks ?? []) {
          if (fieldValue(t.fields, "task.name") === "connection") {
            peers.add(fieldValue(t.fields, "peer") ?? "");
            if (t.id) connectionTasks.add(t.id.id);
          }
        }
        for (const [id, stats] of u.taskUpdate?.statsUpdate ?? []) {
          const polls = stats.pollStats?.polls ?? 0n;
          if (connectionTasks.has(id) && polls > maxPolls) maxPolls = polls;
        }
        for (const r of u.resourceUpdate?.newResources ?? []) {
          if (!r.isInternal) types.set(r.concreteType, true);
        }
        if (
          peers.size >= 2 &&
          maxPolls >= 3n &&
          types.has("Mutex") &&
          types.has("Semaphore") &&
          types.has("mpsc::UnboundedSender|UnboundedReceiver")
        )
          resolve();
      });
      stream.on("error", reject);
    });
  } finally {
    stream.cancel();
    client.close();
  }
  const local = [a.localPort, b.localPort].map((p) => `127.0.0.1:${p}`);
  for (const p of local) assert.ok(peers.has(p), `connection task for ${p} in ${[...peers]}`);
  // Reads are handled inside the task: its first run, then a poll per handled read.
  assert.ok(maxPolls >= 3n);
  a.destroy();
  b.destroy();
});

test("--metrics-port: commands, latency, connections and pub/sub messages", async () => {
  const s = await connect(ports.redis);
  s.write(cmd("GET", "k"));
  assert.equal((await readBytes(s, 7)).toString(), "$1\r\nv\r\n");
  const text = await (await fetch(ports.metrics)).text();
  assert.match(text, /mini_redis_commands_total\{[^}]*command="get"[^}]*\} [1-9]/);
  assert.match(text, /mini_redis_commands_total\{[^}]*command="set"[^}]*\} 1\b/);
  assert.match(text, /mini_redis_command_duration_bucket\{[^}]*command="get"/);
  assert.match(text, /mini_redis_connections(_total)?\{[^}]*\} 1\b/);
  assert.match(text, /mini_redis_pubsub_messages_total\{[^}]*direction="published"[^}]*\} 1\b/);
  assert.match(text, /mini_redis_pubsub_messages_total\{[^}]*direction="delivered"[^}]*\} 1\b/);
  s.destroy();
});

test("--otlp-xray: the CLI's trace ids have X-Ray's time-prefixed form", {
  timeout: 30_000,
}, async () => {
  const before = Math.floor(Date.now() / 1000);
  const cli = spawn(
    process.execPath,
    ["bin/mini-redis-cli.js", "--port", String(ports.redis), "--otlp-xray", "get", "xray-key"],
    { cwd: app, env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } },
  );
  let err = "";
  cli.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  assert.equal(await new Promise<number | null>((r) => cli.on("close", r)), 0, err);
  const after = Math.ceil(Date.now() / 1000);
  const span = receiver.spans.find(
    (s) => s.service === "mini-redis-client" && s.attributes.key === "xray-key",
  );
  assert.ok(span, "the CLI exported its span");
  // X-Ray: the first 8 hex digits of a trace id are its start time in epoch seconds.
  assert.match(span.traceId, /^[0-9a-f]{32}$/);
  const seconds = Number.parseInt(span.traceId.slice(0, 8), 16);
  assert.ok(seconds >= before && seconds <= after, `trace id ${span.traceId} starts with the time`);
});

test("--otlp: hello_world's spans and the server's, flushed on SIGTERM", {
  timeout: 30_000,
}, async () => {
  const hello = spawn(
    process.execPath,
    ["examples/hello_world.ts", "--port", String(ports.redis), "--otlp"],
    { cwd: app, env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } },
  );
  let out = "";
  hello.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const code = await new Promise<number | null>((r) => hello.on("close", r));
  assert.equal(code, 0, out);
  assert.match(out, /value: world/);
  // The client flushed before exiting; the server has exported nothing yet.
  const clientSpans = receiver.spans.filter((s) => s.service === "mini-redis-client");
  const set = clientSpans.find((s) => s.name === "SET" && s.attributes.command === "SET");
  assert.ok(set, `client SET span in ${JSON.stringify(clientSpans)}`);
  assert.equal(set.attributes.key, "hello");
  assert.equal(set.kind, 3);
  assert.equal(receiver.spans.filter((s) => s.service === "mini-redis").length, 0);

  // The CLI exports the same way.
  const cli = spawn(
    process.execPath,
    ["bin/mini-redis-cli.js", "--port", String(ports.redis), "--otlp", "get", "cli-key"],
    { cwd: app, env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } },
  );
  assert.equal(await new Promise<number | null>((r) => cli.on("close", r)), 0);
  const cliSpan = receiver.spans.find(
    (s) => s.service === "mini-redis-client" && s.attributes.key === "cli-key",
  );
  assert.equal(cliSpan?.attributes.command, "GET");

  // Failed commands: an unknown one and a wrong arity become error spans with the reply's text.
  const bad = await connect(ports.redis);
  bad.write(Buffer.concat([cmd("FROB", "x"), cmd("GET")]));
  await readBytes(bad, 111);
  bad.destroy();

  server.kill("SIGTERM");
  const exit = await new Promise<number | null>((r) => server.on("exit", r));
  assert.equal(exit, 0, logs);
  const spans = receiver.spans.filter((s) => s.service === "mini-redis");
  const conns = spans.filter((s) => s.name === "connection");
  const helloPeer = String(set.attributes.peer);
  assert.ok(conns.length >= 4, `connection spans: ${conns.length}`);
  for (const c of conns) {
    assert.equal(c.kind, 2);
    assert.match(String(c.attributes.peer), /^127\.0\.0\.1:\d+$/);
  }
  const cmds = spans.filter(
    (s) => s.attributes.command !== undefined && s.attributes.key === "hello",
  );
  assert.deepEqual(cmds.map((s) => s.attributes.command).sort(), ["get", "set"]);
  // Operations are named by command, as Redis instrumentations name them.
  assert.deepEqual(cmds.map((s) => s.name).sort(), ["GET", "SET"]);
  const parent = conns.find((c) => c.spanId === cmds[0]?.parentSpanId);
  assert.ok(parent, "command span is a child of its connection span");
  assert.equal(parent.traceId, cmds[0]?.traceId);
  assert.deepEqual(
    cmds.map((s) => s.status.code),
    [0, 0],
    "commands that worked have no status",
  );
  const frob = spans.find((s) => s.name === "FROB");
  assert.deepEqual(frob?.status, {
    code: 2,
    message: "ERR unknown command 'FROB', with args beginning with: 'x' ",
  });
  const arity = spans.find((s) => s.name === "GET" && s.status.code === 2);
  assert.equal(arity?.status.message, "ERR wrong number of arguments for 'get' command");
  // The client's span names the server it talked to.
  assert.equal(helloPeer, `127.0.0.1:${ports.redis}`);
});
