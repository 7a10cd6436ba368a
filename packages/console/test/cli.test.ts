// The command line: help, validation with stable error codes, and the terminal requirement.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

test("gen-completion prints a script each shell accepts; an unknown shell is a usage error", () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = run("console", "gen-completion", shell);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /retain-for/);
    assert.match(r.out, /long-poll/, "lint names are offered for -W/-A");
    // Each shell parses its script (zsh and fish only where installed; CI installs them).
    const file = join(mkdtempSync(join(tmpdir(), "periscope-completion-")), `periscope.${shell}`);
    writeFileSync(file, r.out);
    const check = spawnSync(shell, [shell === "fish" ? "--no-execute" : "-n", file], {
      encoding: "utf8",
    });
    rmSync(file);
    if (check.error && !process.env.CI) continue;
    assert.equal(check.status, 0, `${shell} rejects its script: ${check.stderr}`);
  }
  const bad = run("console", "gen-completion", "tcsh");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /PERISCOPE_CONSOLE_USAGE: gen-completion takes one of bash, zsh, fish/);
});

test("gen-config prints console.toml with the flags applied; bad files and values say so", () => {
  const r = run(
    "console",
    "gen-config",
    "-A",
    "long-poll",
    "--palette",
    "8",
    "--no-duration-colors",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /allow_warnings = \[ "long-poll" \]/);
  assert.match(r.out, /palette = "8"/);
  assert.match(r.out, /durations = false/);
  assert.match(r.out, /retention = "6s"/);
  const dir = mkdtempSync(join(tmpdir(), "periscope-cfg-"));
  try {
    const at = (text: string) => {
      writeFileSync(join(dir, "console.toml"), text);
      return spawnSync(process.execPath, [bin, "console", "gen-config"], {
        encoding: "utf8",
        cwd: dir,
        env: { ...process.env, XDG_CONFIG_HOME: join(dir, "none") },
      });
    };
    const ok = at('retention = "30s"\n[colors]\npalette = "off"\n');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /retention = "30s"/, "./console.toml is read");
    const unknown = at("retain = 1\n");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /PERISCOPE_CONSOLE_CONFIG: .*console\.toml: unknown key "retain"/);
    const type = at('[charset]\nascii_only = "yes"\n');
    assert.match(type.stderr, /"charset\.ascii_only" must be boolean/);
    const toml = at("retention = \n");
    assert.match(toml.stderr, /is not valid TOML/);
    const palette = at('[colors]\npalette = "rgb"\n');
    assert.match(palette.stderr, /"colors.palette" must be one of off, 8, 16, 256, all/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const level = run("console", "--log", "loud");
  assert.equal(level.code, 2);
  assert.match(level.err, /--log "loud" is not a level/);
});
