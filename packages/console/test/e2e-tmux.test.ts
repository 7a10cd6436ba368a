// End to end in tmux against a fixture console-api server: the real CLI in a real terminal,
// driven with send-keys and read with capture-pane.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { encodeRecordingFrame, recordingHeader } from "@periscope/console-api";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";
import { taskUpdate } from "./fixtures.ts";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const skip = !hasTmux && !process.env.CI ? "tmux is not installed (CI installs it)" : false;
const bin = join(import.meta.dirname, "..", "..", "cli", "bin", "periscope.js");
const socket = `periscope-console-test-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
}

function pane(): string {
  return tmux("capture-pane", "-p", "-t", "e2e");
}

async function waitFor(what: RegExp, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < end) {
    text = pane();
    if (what.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`pane never showed ${what}; it shows:\n${text}`);
}

let server: FixtureServer;

before(async () => {
  if (skip) return;
  server = await startFixtureServer({ intervalMs: 300 });
});

after(async () => {
  if (skip) return;
  spawnSync("tmux", ["-L", socket, "kill-server"]);
  await server.close();
});

test("periscope console in tmux: tasks, r for resources, Enter for percentiles, q exits 0", {
  skip,
}, async () => {
  const cmd = `'${process.execPath}' '${bin}' console ${server.address}; echo "EXIT=$?"; sleep 60`;
  tmux("new-session", "-d", "-s", "e2e", "-x", "140", "-y", "45", cmd);
  let text = await waitFor(/Tasks \(5\)/);
  assert.match(text, /connected/);
  assert.match(text, /loop delay p50 1\.1ms/, "event-loop health in the header");
  // The server's retained bytes against its budget, next to the task counts.
  assert.match(text, /retained 8\.0 MiB of 32 MiB, 1,234 dropped for budget/);
  assert.match(text, /connection/);
  assert.match(text, /listener/);
  assert.equal(
    tmux("display", "-p", "-t", "e2e", "#{alternate_on}").trim(),
    "1",
    "alternate screen",
  );

  tmux("send-keys", "-t", "e2e", "r");
  // The server's node::EventLoop and periscope::Warnings feed the header and the warnings
  // pane; the table lists only the program's own resources.
  text = await waitFor(/Resources \(3\)/);
  assert.match(text, /Mutex<Db>/);
  assert.match(text, /Semaphore/);
  assert.doesNotMatch(text, /periscope::Warnings|node::EventLoop/);

  tmux("send-keys", "-t", "e2e", "t");
  await waitFor(/Tasks \(5\)/);
  // Filter to one connection, open it and wait for the server's histogram.
  tmux("send-keys", "-t", "e2e", "/", "50002", "Enter");
  await waitFor(/Tasks \(1\)/);
  tmux("send-keys", "-t", "e2e", "Enter");
  text = await waitFor(/p99: \d/);
  assert.match(text, /Poll Times Percentiles/);
  assert.match(text, /p50: \d/);
  assert.match(text, /Name: connection/);
  assert.deepEqual(server.detailRequests.at(-1), 3n);

  tmux("send-keys", "-t", "e2e", "Escape", "q");
  text = await waitFor(/EXIT=\d+/);
  assert.match(text, /EXIT=0/);
  assert.equal(
    tmux("display", "-p", "-t", "e2e", "#{alternate_on}").trim(),
    "0",
    "alternate screen left",
  );
  assert.equal(tmux("display", "-p", "-t", "e2e", "#{cursor_flag}").trim(), "1", "cursor shown");
  assert.doesNotMatch(text, /Tasks \(/, "the user's screen is back, not the console's");
});

test("a resize repaints at the new size; space pauses the server", { skip }, async () => {
  const cmd = `'${process.execPath}' '${bin}' console ${server.address} --ascii-only; echo "EXIT=$?"; sleep 60`;
  tmux("new-session", "-d", "-s", "e2e2", "-x", "100", "-y", "30", cmd);
  const cap = () => tmux("capture-pane", "-p", "-t", "e2e2");
  const until = async (re: RegExp) => {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      if (re.test(cap())) return cap();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`never saw ${re}:\n${cap()}`);
  };
  await until(/Tasks \(5\)/);
  tmux("resize-window", "-t", "e2e2", "-x", "70", "-y", "20");
  const text = await until(/^\+-Tasks[^\n]*\+$/m);
  const widths = text
    .split("\n")
    .filter((l) => l.startsWith("|") || l.startsWith("+"))
    .map((l) => l.length);
  assert.ok(widths.length > 3 && widths.every((w) => w === 70), `box lines are 70 wide: ${widths}`);
  const pausesBefore = server.pauses;
  tmux("send-keys", "-t", "e2e2", "Space");
  await until(/PAUSED/);
  const end = Date.now() + 5000;
  while (server.pauses === pausesBefore && Date.now() < end)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.pauses, pausesBefore + 1, "the server was asked to pause");
  tmux("send-keys", "-t", "e2e2", "C-c");
  assert.match(await until(/EXIT=\d+/), /EXIT=0/);
});

test("periscope replay FILE: plays, pauses and seeks a recording", { skip }, async () => {
  const file = join(tmpdir(), `periscope-replay-${process.pid}.rec`);
  const frames = [0, 1, 2, 3, 4, 5].map((s) =>
    encodeRecordingFrame(
      taskUpdate(
        10_000 + s * 1000,
        [{ id: 1, name: "recorded", createdMs: 0, polls: 1 + s, busyMs: 1 }],
        s > 0,
      ),
    ),
  );
  writeFileSync(file, Buffer.concat([recordingHeader(), ...frames]));
  try {
    const cmd = `'${process.execPath}' '${bin}' replay '${file}'; echo "EXIT=$?"; sleep 60`;
    tmux("new-session", "-d", "-s", "rep", "-x", "120", "-y", "30", cmd);
    const cap = () => tmux("capture-pane", "-p", "-t", "rep");
    const until = async (re: RegExp) => {
      const end = Date.now() + 15_000;
      while (Date.now() < end) {
        if (re.test(cap())) return cap();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`never saw ${re}:\n${cap()}`);
    };
    let text = await until(/recorded/);
    assert.match(text, /replay .*periscope-replay/);
    tmux("send-keys", "-t", "rep", "Space");
    text = await until(/\(paused\)/);
    tmux("send-keys", "-t", "rep", "]");
    text = await until(/5s \/ 5s/);
    assert.match(text, /recorded .* 6 /, "seeking forward applied every update: 6 polls");
    tmux("send-keys", "-t", "rep", "q");
    assert.match(await until(/EXIT=\d+/), /EXIT=0/);
  } finally {
    rmSync(file, { force: true });
  }
});

test("SIGINT from outside restores the terminal and exits 130", { skip }, async () => {
  const cmd = `'${process.execPath}' '${bin}' console ${server.address}; echo "EXIT=$?"; sleep 60`;
  tmux("new-session", "-d", "-s", "sig", "-x", "100", "-y", "30", cmd);
  const cap = () => tmux("capture-pane", "-p", "-t", "sig");
  const until = async (re: RegExp) => {
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      if (re.test(cap())) return cap();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`never saw ${re}:\n${cap()}`);
  };
  await until(/Tasks \(5\)/);
  // The pane runs sh, which runs the console: signal the console itself.
  const shell = tmux("display", "-p", "-t", "sig", "#{pane_pid}").trim();
  const child = readdirSync("/proc").find((d) => {
    if (!/^\d+$/.test(d)) return false;
    try {
      return readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]?.split(" ")[1] === shell;
    } catch {
      return false;
    }
  });
  assert.ok(child, "the console process under the pane's shell");
  process.kill(Number(child), "SIGINT");
  assert.match(await until(/EXIT=\d+/), /EXIT=130/);
  assert.equal(tmux("display", "-p", "-t", "sig", "#{alternate_on}").trim(), "0");
  assert.equal(tmux("display", "-p", "-t", "sig", "#{cursor_flag}").trim(), "1");
});
