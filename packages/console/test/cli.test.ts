// The command line: help, validation with stable error codes, and the terminal requirement.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const bin = join(import.meta.dirname, "..", "..", "cli", "bin", "periscope.js");

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("--help prints the options and exits 0", () => {
  const r = run("console", "--help");
  assert.equal(r.code, 0);
  for (const opt of [
    "--retain-for",
    "-W, --warn",
    "-A, --allow",
    "--no-colors",
    "--ascii-only",
    "--replay",
  ]) {
    assert.ok(r.out.includes(opt), opt);
  }
});

test("bad options fail with a code and a sentence saying what to do", () => {
  let r = run("console", "-W", "nope");
  assert.equal(r.code, 2);
  assert.match(r.err, /PERISCOPE_CONSOLE_LINT: unknown lint "nope"; use one of self-wakes/);
  r = run("console", "--retain-for", "soon");
  assert.equal(r.code, 2);
  assert.match(r.err, /PERISCOPE_CONSOLE_RETAIN/);
  r = run("console", "not an address");
  assert.equal(r.code, 2);
  assert.match(r.err, /PERISCOPE_CONSOLE_ADDRESS/);
  r = run("console", "--bogus");
  assert.equal(r.code, 2);
  assert.match(r.err, /PERISCOPE_CONSOLE_USAGE/);
});

test("replay of a missing or foreign file says so", () => {
  let r = run("replay", join(import.meta.dirname, "no-such-recording.bin"));
  assert.equal(r.code, 1);
  assert.match(r.err, /PERISCOPE_REPLAY_READ: cannot read .*ENOENT/);
  r = run("replay", join(import.meta.dirname, "cli.test.ts"));
  assert.equal(r.code, 1);
  assert.match(r.err, /PERISCOPE_RECORDING_FORMAT/);
});

test("without a terminal the console refuses instead of garbling a pipe", () => {
  const r = run("console", "http://127.0.0.1:1");
  assert.equal(r.code, 2);
  assert.match(r.err, /PERISCOPE_CONSOLE_TTY/);
});
