// The commands and examples, run as users run them: mini-redis-server as a child process (with
// JSON logs), mini-redis-cli against it, the examples, then a graceful SIGTERM.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cmd, connect, exchange, readBytes, runProcess } from "./helpers.ts";

const app = join(import.meta.dirname, "..");
let server: ChildProcess;
let port: number;
let logs = "";

/** Runs a node script of this package to completion; Node is the one running the tests. */
function runNode(args: string[], env: Record<string, string> = {}) {
  return runProcess(process.execPath, args, { cwd: app, env });
}

const cli = (...args: string[]) =>
  runNode(["bin/mini-redis-cli.js", "--port", String(port), ...args]);

before(async () => {
  server = spawn(
    process.execPath,
    [
      "bin/mini-redis-server.js",
      "--port",
      "0",
      "--log-format",
      "json",
      "--client-output-buffer-limit",
      "pubsub 64mb 16mb 30",
    ],
    { cwd: app, env: { ...process.env, PERISCOPE_LOG: "mini_redis=debug" } },
  );
  server.stderr?.setEncoding("utf8").on("data", (d: string) => (logs += d));
  port = await new Promise<number>((resolve, reject) => {
    server.stdout?.setEncoding("utf8").on("data", (d: string) => {
      logs += d;
      const m = /accepting inbound connections.*?127\.0\.0\.1:(\d+)/.exec(logs);
      if (m) resolve(Number(m[1]));
    });
    server.once("exit", (code) => reject(new Error(`server exited (${code}): ${logs}`)));
  });
});

after(() => {
  if (server.exitCode === null) server.kill("SIGKILL");
});

test("mini-redis-cli: the verbs and output of tokio's mini-redis CLI", async () => {
  assert.equal((await cli("ping")).stdout, '"PONG"\n');
  assert.equal((await cli("ping", "hello")).stdout, '"hello"\n');
  assert.equal((await cli("set", "foo", "bar")).stdout, "OK\n");
  assert.equal((await cli("get", "foo")).stdout, '"bar"\n');
  assert.equal((await cli("get", "nothing")).stdout, "(nil)\n");
  assert.equal((await cli("set", "tmp", "x", "100000")).stdout, "OK\n");
  assert.equal((await cli("publish", "ch", "m")).stdout, "Publish OK\n");
  // Terminal escapes from the network are shown escaped, never sent to the terminal.
  await cli("set", "evil", "\u001b[31mred");
  assert.equal((await cli("get", "evil")).stdout, 'b"\\x1b[31mred"\n');
});

test("mini-redis-server --client-output-buffer-limit sets the pub/sub limits, in Redis's words", async () => {
  const value = "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30";
  assert.equal(
    (await exchange(port, cmd("CONFIG", "GET", "client-output-buffer-limit"))).toString(),
    `*2\r\n$26\r\nclient-output-buffer-limit\r\n$${value.length}\r\n${value}\r\n`,
  );
});

test("mini-redis-cli: bad usage gets a message and exit code 2", async () => {
  const r = await cli("frobnicate");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  const noServer = await runNode(["bin/mini-redis-cli.js", "--port", "1", "ping"]);
  assert.equal(noServer.code, 1);
  assert.match(noServer.stderr, /cannot connect to 127\.0\.0\.1:1/);
});

test("mini-redis-server: bad --timeout, --max-clients or --client-output-buffer-limit gets a message and exit code 2", async () => {
  for (const [flag, value, range] of [
    ["--timeout", "soon", "0 to 100000000"],
    ["--timeout", "-1", "0 to 100000000"],
    ["--max-clients", "0", "1 to 1000000"],
  ] as const) {
    const r = await runNode(["bin/mini-redis-server.js", "--port", "0", `${flag}=${value}`]);
    assert.equal(r.code, 2, `${flag} ${value}`);
    assert.match(
      r.stderr,
      new RegExp(`${flag} must be an integer from ${range}, got "${value}" \\(MINI_REDIS_USAGE\\)`),
    );
  }
  const limit = await runNode([
    "bin/mini-redis-server.js",
    "--port",
    "0",
    "--client-output-buffer-limit",
    "normal 0 0 0",
  ]);
  assert.equal(limit.code, 2);
  assert.match(
    limit.stderr,
    /--client-output-buffer-limit: only the pubsub class can be set .* \(MINI_REDIS_USAGE\)/,
  );
  const help = await runNode(["bin/mini-redis-server.js", "--help"]);
  assert.match(help.stdout, /--client-output-buffer-limit "pubsub <hard> <soft> <seconds>"/);
  assert.match(help.stdout, /--timeout <seconds>/);
  assert.match(help.stdout, /default 10000/);
});

test("subscribe in the CLI receives what the pub example publishes", async () => {
  const sub = spawn(
    process.execPath,
    ["bin/mini-redis-cli.js", "--port", String(port), "subscribe", "foo"],
    {
      cwd: app,
    },
  );
  let out = "";
  const got = new Promise<void>((resolve) => {
    sub.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) resolve();
    });
  });
  // The subscription is set up asynchronously: publish until it is heard.
  let published = "";
  for (let i = 0; i < 100 && !published.includes("published to 1"); i++) {
    published = (await runNode(["examples/pub.ts"], { MINI_REDIS_PORT: String(port) })).stdout;
  }
  await got;
  sub.kill();
  assert.equal(out, 'got message from the channel: foo; message = b"bar"\n');
});

test("the hello_world example", async () => {
  const r = await runNode(["examples/hello_world.ts"], { MINI_REDIS_PORT: String(port) });
  assert.equal(r.stdout, "got value from the server; success=true\nvalue: world\n");
});

test("the chat example: what one person types, the other sees", async () => {
  const env = { ...process.env, MINI_REDIS_PORT: String(port) };
  const alice = spawn(process.execPath, ["examples/chat.ts", "alice"], { cwd: app, env });
  let seen = "";
  const waitFor = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (seen.includes(text)) {
          alice.stdout.off("data", onData);
          resolve();
        }
      };
      const onData = (d: string) => {
        seen += d;
        check();
      };
      alice.stdout.on("data", onData);
      check();
    });
  alice.stdout.setEncoding("utf8");
  await waitFor("* alice joined"); // alice hears herself: she is subscribed
  const bob = spawn(process.execPath, ["examples/chat.ts", "bob"], { cwd: app, env });
  bob.stdin.end("hello \u001b[2J there\n");
  await waitFor("* bob left");
  assert.match(seen, /<bob> hello \?\[2J there/);
  alice.stdin.end();
  await new Promise((r) => alice.once("close", r));
});

test("JSON logs carry the connection and command spans; SIGTERM shuts down cleanly", async () => {
  const exited = new Promise<number | null>((resolve) =>
    server.once("exit", (code) => resolve(code)),
  );
  server.kill("SIGTERM");
  assert.equal(await exited, 0);
  const lines = logs
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.length > 0);
  const text = JSON.stringify(lines);
  assert.match(text, /mini_redis::server/);
  assert.match(text, /accepted connection/);
  assert.match(text, /shutting down/);
  // Events inside a connection carry its span (and, at debug, the command's span).
  const inCommand = lines.find(
    (l) => (l.fields as { message?: string })?.message === "received command",
  );
  assert.ok(inCommand, "a command event was logged");
  const spans = inCommand.spans as Array<Record<string, unknown>>;
  assert.equal(spans[0]?.name, "connection");
  assert.match(String(spans[0]?.peer), /^127\.0\.0\.1:\d+$/);
  assert.equal(spans[1]?.name, "cmd");
  assert.ok(["set", "get", "ping", "publish", "subscribe"].includes(String(spans[1]?.command)));
});

test("a second signal exits at once, while the first waits for a client that does not read", async () => {
  const child = spawn(process.execPath, ["bin/mini-redis-server.js", "--port", "0"], {
    cwd: app,
    env: { ...process.env, PERISCOPE_LOG: "info" },
  });
  let out = "";
  const childPort = await new Promise<number>((resolve) => {
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /accepting inbound connections.*?127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const s = await connect(childPort);
  s.write(cmd("SET", "big", Buffer.alloc(1024 * 1024, "x")));
  await readBytes(s, 5);
  s.pause(); // never read the 64 MB of replies asked for next
  s.write(Buffer.concat(Array.from({ length: 64 }, () => cmd("GET", "big"))));
  await new Promise((r) => setTimeout(r, 200));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  child.kill("SIGINT");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(child.exitCode, null, "the first signal waits for in-flight replies");
  child.kill("SIGINT");
  assert.equal(await exited, 130);
  s.destroy();
});
