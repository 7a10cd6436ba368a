// `periscope console --pid PID` in a real terminal (tmux): attaches to a plain Node server
// started with no flag and shows its requests as tasks named by path.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const skip = !hasTmux && !process.env.CI ? "tmux is not installed (CI installs it)" : false;
const BIN = fileURLToPath(new URL("../bin/periscope.js", import.meta.url));
const socket = `periscope-pid-test-${process.pid}`;
let child: ChildProcess | undefined;

after(() => {
  spawnSync("tmux", ["-L", socket, "kill-server"]);
  if (child?.exitCode === null) child.kill("SIGTERM");
  child?.stdout?.destroy();
});

function pane(): string {
  return execFileSync("tmux", ["-L", socket, "capture-pane", "-p", "-t", "pid"], {
    encoding: "utf8",
  });
}

test("console --pid attaches and shows the target's requests", { skip }, async () => {
  const server = `
const http = require("node:http");
const s = http.createServer((req, res) => res.end("ok"));
s.listen(0, "127.0.0.1", () => process.stdout.write("listening " + s.address().port + "\\n"));`;
  child = spawn(process.execPath, ["-e", server], { stdio: ["ignore", "pipe", "ignore"] });
  const [line] = (await once(child.stdout?.setEncoding("utf8") as NodeJS.EventEmitter, "data")) as [
    string,
  ];
  const port = Number(/listening (\d+)/.exec(line)?.[1]);
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const bind = `127.0.0.1:${(probe.address() as { port: number }).port}`;
  probe.close();
  const cmd = `'${process.execPath}' '${BIN}' console --pid ${child.pid} --bind ${bind}; sleep 60`;
  execFileSync("tmux", [
    "-L",
    socket,
    "new-session",
    "-d",
    "-s",
    "pid",
    "-x",
    "140",
    "-y",
    "40",
    cmd,
  ]);
  const end = Date.now() + 20_000;
  let text = "";
  while (Date.now() < end) {
    // Requests made while the console watches appear as tasks.
    await fetch(`http://127.0.0.1:${port}/orders/17`).then(
      (r) => r.text(),
      () => "",
    );
    text = pane();
    if (/GET \/orders\/:id/.test(text)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.match(text, /GET \/orders\/:id/, `pane:\n${text}`);
  assert.match(text, /connected/);
});
