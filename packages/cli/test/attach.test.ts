// `periscope attach` on a plain Node child started with no flag: the console appears, requests
// made afterwards are tasks, the inspector is closed again; and each refusal has its code.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createInstrumentClient, type Update } from "@periscope/console-api";
import { listeningPorts } from "../src/proc.ts";

const BIN = fileURLToPath(new URL("../bin/periscope.js", import.meta.url));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) {
    // SIGTERM first: `periscope run` passes it on to the node it started.
    if (c.exitCode === null) c.kill("SIGTERM");
    c.stdout?.destroy();
    c.stderr?.destroy();
  }
});

const SERVER = `
const http = require("node:http");
const s = http.createServer((req, res) => setTimeout(() => res.end("ok"), 1));
s.listen(0, "127.0.0.1", () => process.stdout.write("listening " + s.address().port + "\\n"));
`;

async function startChild(
  flags: string[] = [],
): Promise<{ child: ChildProcess; port: number; err: () => string }> {
  const child = spawn(process.execPath, [...flags, "-e", SERVER], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const [line] = (await once(child.stdout?.setEncoding("utf8") as NodeJS.EventEmitter, "data")) as [
    string,
  ];
  return { child, port: Number(/listening (\d+)/.exec(line)?.[1]), err: () => err };
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, "close");
  return port;
}

function periscope(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (e, stdout, stderr) =>
      resolve({
        code: e === null ? 0 : Number((e as { code?: number }).code ?? 1),
        stdout,
        stderr,
      }),
    );
  });
}

function taskNames(address: string, until: (names: string[]) => boolean): Promise<string[]> {
  const client = createInstrumentClient(address);
  const names: string[] = [];
  let done = false;
  let stream: { cancel(): void } | undefined;
  return new Promise((resolve, reject) => {
    const finish = (err?: Error): void => {
      done = true;
      clearTimeout(t);
      stream?.cancel();
      client.close();
      if (err) reject(err);
      else resolve(names);
    };
    const t = setTimeout(() => finish(new Error(`tasks seen: ${names.join(", ")}`)), 10_000);
    const watch = (): void => {
      if (done) return;
      const s = client.watchUpdates({});
      stream = s;
      s.on("data", (u: Update) => {
        for (const task of u.taskUpdate?.newTasks ?? []) {
          const n = task.fields.find((f) => f.strName === "task.name")?.strVal;
          if (n !== undefined) names.push(n);
        }
        if (!done && until(names)) finish();
      });
      // The child may print its port before its console listens: retry until connected.
      s.on("error", () => {
        if (!done) setTimeout(watch, 100);
      });
    };
    watch();
  });
}

test("attach installs the console into a process started with no flag, then closes the inspector", async () => {
  const { child, port, err } = await startChild();
  const bind = `127.0.0.1:${await freePort()}`;
  const r = await periscope(["attach", String(child.pid), "--bind", bind]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`console at ${bind.replace(/\./g, "\\.")}`));
  // Work from now on is seen: a request to the child is a task.
  const seen = taskNames(bind, (n) => n.includes("GET /hello/:id"));
  const res = await fetch(`http://127.0.0.1:${port}/hello/12`).catch((e: Error) =>
    assert.fail(`${e.message}; exit ${child.exitCode} ${child.signalCode}; stderr: ${err()}`),
  );
  await res.text();
  assert.ok((await seen).includes("GET /hello/:id"));
  // The inspector SIGUSR1 opened is closed again: the child listens on its port and the
  // console's, nothing else.
  assert.match(err(), /Debugger listening/);
  const consolePort = Number(bind.split(":")[1]);
  await until(() => {
    const ports = listeningPorts(child.pid as number);
    return ports === undefined || [...ports].every((p) => p === port || p === consolePort);
  }, 5000);
  // A second attach is refused with the address of the console already there.
  const again = await periscope(["attach", String(child.pid)]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /PERISCOPE_ATTACH_ALREADY/);
  assert.ok(again.stderr.includes(bind));
  assert.equal(child.exitCode, null, "the target keeps running");
});

test("an inspector port taken for a moment: attach signals again and gets in", async (t) => {
  const blocker = createServer();
  const taken = await new Promise<boolean>((resolve) => {
    blocker.once("error", () => resolve(false));
    blocker.listen(9229, "127.0.0.1", () => resolve(true));
  });
  if (!taken) {
    t.skip("port 9229 is in use here");
    return;
  }
  const { child } = await startChild();
  setTimeout(() => blocker.close(), 1500);
  const bind = `127.0.0.1:${await freePort()}`;
  const r = await periscope(["attach", String(child.pid), "--bind", bind, "--timeout", "10000"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(bind));
});

test("a process started with --disable-sigusr1 is refused without being signalled", async () => {
  const { child } = await startChild(["--disable-sigusr1"]);
  const r = await periscope(["attach", String(child.pid)]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PERISCOPE_ATTACH_SIGUSR1_DISABLED/);
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(child.exitCode, null);
  assert.equal(child.signalCode, null);
});

test("not a process, not Node, bad PID: clear errors with codes", async () => {
  const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
  children.push(sleeper);
  const notNode = await periscope(["attach", String(sleeper.pid)]);
  assert.equal(notNode.code, 1);
  assert.match(notNode.stderr, /is not a Node process.*PERISCOPE_ATTACH_NOT_NODE/);
  assert.equal(sleeper.exitCode, null, "not signalled");
  const missing = await periscope(["attach", "999999999"]);
  assert.match(missing.stderr, /PERISCOPE_ATTACH_NO_PROCESS/);
  const bad = await periscope(["attach", "abc"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /PERISCOPE_ATTACH_USAGE/);
});

test("a process of another user is refused (run as root only: needs a second user)", async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("not root");
    return;
  }
  const { child } = await startChild();
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, "attach", String(child.pid)],
      { uid: 65534, gid: 65534, timeout: 30_000 },
      (e, _o, stderr) =>
        resolve({ code: e === null ? 0 : Number((e as { code?: number }).code), stderr }),
    );
  });
  if (
    /EACCES|permission denied|Cannot find module/i.test(r.stderr) &&
    !/PERISCOPE_ATTACH/.test(r.stderr)
  ) {
    t.skip("the repository is not readable by nobody here");
    return;
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /belongs to another user.*PERISCOPE_ATTACH_NOT_PERMITTED/);
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("periscope run -- node ... preloads @periscope/auto through NODE_OPTIONS", async () => {
  const bind = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    process.execPath,
    [BIN, "run", "--bind", bind, "--", process.execPath, "-e", SERVER],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  const [line] = (await once(child.stdout?.setEncoding("utf8") as NodeJS.EventEmitter, "data")) as [
    string,
  ];
  const port = Number(/listening (\d+)/.exec(line)?.[1]);
  const seen = taskNames(bind, (n) => n.includes("GET /run/:id"));
  await (await fetch(`http://127.0.0.1:${port}/run/5`)).text();
  assert.ok((await seen).includes("GET /run/:id"));
  child.kill("SIGTERM");
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  // The child died of the forwarded SIGTERM; run reports it as 128 + 15.
  assert.ok(code === 143 || signal === "SIGTERM", `exit ${code} ${signal}`);
});

// `periscope console --pid PID` in a real terminal (tmux): attach, then the console shows the
// target's requests as tasks named by path.
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const skip = !hasTmux && !process.env.CI ? "tmux is not installed (CI installs it)" : false;
const socket = `periscope-pid-test-${process.pid}`;

after(() => {
  spawnSync("tmux", ["-L", socket, "kill-server"]);
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
  const child = spawn(process.execPath, ["-e", server], { stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
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
