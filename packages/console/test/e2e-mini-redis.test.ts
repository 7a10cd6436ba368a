// The full-stack test: mini-redis with the console on, under redis-benchmark load,
// watched by `periscope console` in tmux.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";

const hasTools =
  spawnSync("tmux", ["-V"]).status === 0 &&
  spawnSync("redis-benchmark", ["--version"]).status === 0;
const skip =
  !hasTools && !process.env.CI
    ? "tmux or redis-benchmark is not installed (CI installs them)"
    : false;

const server = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "apps",
  "mini-redis",
  "bin",
  "mini-redis-server.js",
);
const bin = join(import.meta.dirname, "..", "..", "cli", "bin", "periscope.js");
const socket = `periscope-console-mini-redis-${process.pid}`;
let app: ChildProcess | undefined;
let load: ChildProcess | undefined;
let consolePort = 0;

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
}

async function waitFor(what: RegExp, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < end) {
    text = tmux("capture-pane", "-p", "-t", "mr");
    if (what.test(text)) return text;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.fail(`pane never showed ${what}; it shows:\n${text}`);
}

before(async () => {
  if (skip) return;
  // The real mini-redis-server with --console, both on free ports, read back from its log.
  app = spawn(process.execPath, [server, "--port", "0", "--console", "--log-format", "compact"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PERISCOPE_CONSOLE_BIND: "127.0.0.1:0", PERISCOPE_LOG: "info" },
  });
  const ports = await new Promise<[number, number]>((resolve, reject) => {
    let out = "";
    app?.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const c = /console listening addr="?[\d.]+:(\d+)/.exec(out);
      const r = /accepting inbound connections addr="?[\d.]+:(\d+)/.exec(out);
      if (c && r) resolve([Number(c[1]), Number(r[1])]);
    });
    app?.on("exit", (code) => reject(new Error(`mini-redis-server exited with ${code}: ${out}`)));
  });
  consolePort = ports[0];
  load = spawn(
    "redis-benchmark",
    [
      "-h",
      "127.0.0.1",
      "-p",
      String(ports[1]),
      "-c",
      "20",
      "-n",
      "100000000",
      "-t",
      "set,get",
      "-q",
    ],
    { stdio: "ignore" },
  );
});

after(() => {
  if (skip) return;
  spawnSync("tmux", ["-L", socket, "kill-server"]);
  load?.kill();
  app?.kill("SIGKILL");
});

test("mini-redis under redis-benchmark: connection tasks, Db mutex and semaphore, percentiles, q", {
  skip,
}, async () => {
  const cmd = `'${process.execPath}' '${bin}' console http://127.0.0.1:${consolePort}; echo "EXIT=$?"; sleep 60`;
  tmux("new-session", "-d", "-s", "mr", "-x", "180", "-y", "50", cmd);
  // redis-benchmark keeps 20 clients connected: 20 connection tasks at least.
  let text = await waitFor(/(?:│[^\n]* connection [^\n]*\n){20}/);
  assert.match(text, /connected/);
  assert.match(text, /loop delay p50/);

  tmux("send-keys", "-t", "mr", "r");
  text = await waitFor(/Semaphore/);
  assert.match(text, /Mutex/);

  tmux("send-keys", "-t", "mr", "t", "/", "connection", "Enter");
  await waitFor(/filter: connection/);
  tmux("send-keys", "-t", "mr", "Enter");
  text = await waitFor(/p99: \d/);
  assert.match(text, /p50: \d/);

  tmux("send-keys", "-t", "mr", "q");
  text = await waitFor(/EXIT=\d+/);
  assert.match(text, /EXIT=0/);
  assert.equal(tmux("display", "-p", "-t", "mr", "#{alternate_on}").trim(), "0");
});
