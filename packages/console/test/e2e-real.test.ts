// End to end against the real stack: @periscope/runtime tasks and resources under the real
// @periscope/console-subscriber server, watched by `periscope console` in tmux.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const skip = !hasTmux && !process.env.CI ? "tmux is not installed (CI installs it)" : false;
const bin = join(import.meta.dirname, "..", "..", "cli", "bin", "periscope.js");
const socket = `periscope-console-real-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
}

async function waitFor(what: RegExp, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < end) {
    text = tmux("capture-pane", "-p", "-t", "real");
    if (what.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`pane never showed ${what}; it shows:\n${text}`);
}

let app: ChildProcess | undefined;
let port = 0;

before(async () => {
  if (skip) return;
  app = spawn(process.execPath, [join(import.meta.dirname, "workload.ts")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  port = await new Promise<number>((resolve, reject) => {
    let out = "";
    app?.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /PORT=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    app?.on("exit", (code) => reject(new Error(`workload exited with ${code}`)));
  });
});

after(() => {
  if (skip) return;
  spawnSync("tmux", ["-L", socket, "kill-server"]);
  app?.kill();
});

test("the real console-subscriber: connection tasks, Mutex and Semaphore, percentiles, q", {
  skip,
}, async () => {
  const cmd = `'${process.execPath}' '${bin}' console http://127.0.0.1:${port}; echo "EXIT=$?"; sleep 60`;
  tmux("new-session", "-d", "-s", "real", "-x", "160", "-y", "50", cmd);
  let text = await waitFor(/ connection /);
  assert.match(text, /listener/);
  assert.match(text, /connected/);
  assert.match(text, /loop delay p50/, "the subscriber's event-loop resource feeds the header");

  tmux("send-keys", "-t", "real", "r");
  text = await waitFor(/Semaphore/);
  assert.match(text, /Mutex/);

  tmux("send-keys", "-t", "real", "t", "/", "connection", "Enter");
  await waitFor(/filter: connection/);
  tmux("send-keys", "-t", "real", "Enter");
  text = await waitFor(/p99: \d/);
  assert.match(text, /Name: connection/);
  assert.match(text, /p50: \d/);

  tmux("send-keys", "-t", "real", "q");
  text = await waitFor(/EXIT=\d+/);
  assert.match(text, /EXIT=0/);
  assert.equal(tmux("display", "-p", "-t", "real", "#{alternate_on}").trim(), "0");
});
