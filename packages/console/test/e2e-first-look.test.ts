// A new user's first look, end to end in tmux (issue 18): mini-redis with the console on and a
// subscribed client, as the demo runs it. The first screen has no start-up warning and the root
// is idle; T puts the subscriber task under its connection; a task whose details are open stays
// after it completes; a console.toml changes the defaults.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const hasTools =
  spawnSync("tmux", ["-V"]).status === 0 && spawnSync("redis-cli", ["--version"]).status === 0;
const skip =
  !hasTools && !process.env.CI ? "tmux or redis-cli is not installed (CI installs them)" : false;
const root = join(import.meta.dirname, "..", "..", "..");
const server = join(root, "apps", "mini-redis", "bin", "mini-redis-server.js");
const bin = join(root, "packages", "cli", "bin", "periscope.js");
const socket = `periscope-console-first-look-${process.pid}`;
let app: ChildProcess | undefined;
let sub: ChildProcess | undefined;
let consolePort = 0;
let redisPort = 0;
const home = mkdtempSync(join(tmpdir(), "periscope-console-config-"));

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
}

async function waitFor(session: string, what: RegExp, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < end) {
    text = tmux("capture-pane", "-p", "-t", session);
    if (what.test(text)) return text;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.fail(`pane never showed ${what}; it shows:\n${text}`);
}

function consoleCmd(args: string, env = ""): string {
  return `${env} '${process.execPath}' '${bin}' console http://127.0.0.1:${consolePort} ${args}; echo "EXIT=$?"; sleep 60`;
}

before(async () => {
  if (skip) return;
  app = spawn(process.execPath, [server, "--port", "0", "--console", "--log-format", "compact"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PERISCOPE_CONSOLE_BIND: "127.0.0.1:0", PERISCOPE_LOG: "info" },
  });
  [consolePort, redisPort] = await new Promise<[number, number]>((resolve, reject) => {
    let out = "";
    app?.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const c = /console listening addr="?[\d.]+:(\d+)/.exec(out);
      const r = /accepting inbound connections addr="?[\d.]+:(\d+)/.exec(out);
      if (c && r) resolve([Number(c[1]), Number(r[1])]);
    });
    app?.on("exit", (code) => reject(new Error(`mini-redis-server exited with ${code}: ${out}`)));
  });
  sub = spawn("redis-cli", ["-p", String(redisPort), "subscribe", "demo"], { stdio: "ignore" });
});

after(() => {
  if (skip) return;
  spawnSync("tmux", ["-L", socket, "kill-server"]);
  sub?.kill();
  app?.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

test("first screen: no start-up warning, the root idle; T nests the subscriber under its connection", {
  skip,
}, async () => {
  tmux("new-session", "-d", "-s", "a", "-x", "160", "-y", "30", consoleCmd(""));
  let text = await waitFor("a", /subscriber/);
  // No warning blames the root for start-up. (A slow first command inside a connection on a
  // loaded machine would be a real long poll, so only the root is checked.)
  assert.doesNotMatch(text, /\(root\)/, "no start-up warning");
  assert.match(text, /⏸ idle +root/, "the root is idle between its slices");
  assert.match(text, /root[^\n]* 0ns /, "and never scheduled");
  tmux("send-keys", "-t", "a", "T");
  text = await waitFor("a", /\[tree\]/);
  assert.match(text, /connection[^\n]*\n[^\n]*└─subscriber/, "the subscriber under its connection");
  tmux("send-keys", "-t", "a", "q");
  await waitFor("a", /EXIT=0/);
});

test("details stay open on a task that completes, past --retain-for", { skip }, async () => {
  const cli = spawn("redis-cli", ["-p", String(redisPort), "subscribe", "gone-soon"], {
    stdio: "ignore",
  });
  tmux("new-session", "-d", "-s", "b", "-x", "140", "-y", "40", consoleCmd("--retain-for 1s"));
  await waitFor("b", /Tasks \(/);
  // The newest connection is the one above: connections only (spawned in server.ts), sorted by
  // ID (h three times from Total), descending; open the first row.
  tmux("send-keys", "-t", "b", "/", "server.ts", "Enter");
  await waitFor("b", /Tasks \(2\)[^\n]*filter: server\.ts/);
  for (let i = 0; i < 3; i++) tmux("send-keys", "-t", "b", "h");
  await waitFor("b", /ID▿/);
  // The selection follows its task through a re-sort: back to the top row first.
  tmux("send-keys", "-t", "b", "g", "g", "Enter");
  await waitFor("b", /Name: connection/);
  cli.kill();
  await waitFor("b", /ID: \d+ ⏹ done/);
  await new Promise((r) => setTimeout(r, 3000));
  const text = tmux("capture-pane", "-p", "-t", "b");
  assert.match(text, /Name: connection/, "still open 3 s after it completed");
  assert.doesNotMatch(text, /This task is gone/);
  tmux("send-keys", "-t", "b", "q");
  await waitFor("b", /EXIT=0/);
});

test("a console.toml in the config dir changes the defaults; flags still win", {
  skip,
}, async () => {
  mkdirSync(join(home, "periscope"), { recursive: true });
  writeFileSync(
    join(home, "periscope", "console.toml"),
    "[charset]\nascii_only = true\n\n[colors]\nenabled = false\n",
  );
  const logs = join(home, "logs");
  tmux(
    "new-session",
    "-d",
    "-s",
    "c",
    "-x",
    "140",
    "-y",
    "30",
    consoleCmd(`--log info --log-dir '${logs}'`, `XDG_CONFIG_HOME='${home}'`),
  );
  // Connected, with tasks listed: the log has the connection by then.
  const text = await waitFor("c", / connected [\s\S]*Tasks \([1-9]/);
  assert.match(text, /\+-Tasks/, "ASCII borders from the config file");
  assert.doesNotMatch(text, /[┌│⏸]/);
  tmux("send-keys", "-t", "c", "q");
  await waitFor("c", /EXIT=0/);
  // --log: the console's own diagnostics went to a file of their own, not the screen.
  const files = readdirSync(logs);
  assert.equal(files.length, 1);
  const logText = readFileSync(join(logs, files[0] as string), "utf8");
  assert.match(logText, / INFO connected/);
  assert.match(logText, / INFO quit/);
  const gen = execFileSync(
    process.execPath,
    [bin, "console", "gen-config", "--retain-for", "30s"],
    {
      encoding: "utf8",
      env: { ...process.env, XDG_CONFIG_HOME: home },
    },
  );
  assert.match(gen, /ascii_only = true/, "gen-config starts from the file");
  assert.match(gen, /retention = "30s"/, "and the flags override it");
});
