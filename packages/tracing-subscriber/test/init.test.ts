// init(): fmt + EnvFilter from the environment in one call, extra layers, and the README's
// ten-line example run for real and compared with the output the README shows.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { globalDefault, Level, logger, NoSubscriber, setGlobalDefault } from "@periscope/tracing";
import { EnvFilter, init, type Layer } from "@periscope/tracing-subscriber";

const T = Date.UTC(2026, 0, 1) + 0.5;

test("init reads PERISCOPE_LOG and PERISCOPE_LOG_FORMAT and installs the registry", () => {
  let out = "";
  const reg = init({
    env: { PERISCOPE_LOG: "warn,app=debug", PERISCOPE_LOG_FORMAT: "json" },
    writer: (s) => (out += s),
    clock: () => T,
  });
  try {
    assert.equal(globalDefault(), reg);
    logger("app").debug("shown", { n: 1 });
    logger("lib").info("hidden");
    logger("lib").warn("shown too");
    assert.equal(
      out,
      '{"timestamp":"2026-01-01T00:00:00.000500Z","level":"DEBUG","fields":{"message":"shown","n":1},"target":"app"}\n' +
        '{"timestamp":"2026-01-01T00:00:00.000500Z","level":"WARN","fields":{"message":"shown too"},"target":"lib"}\n',
    );
  } finally {
    setGlobalDefault(new NoSubscriber());
  }
});

test("defaults: info, full format; a bad format or directive warns and the rest applies", () => {
  let out = "";
  const warnings: string[] = [];
  init({
    env: { PERISCOPE_LOG_FORMAT: "yaml" },
    writer: (s) => (out += s),
    clock: () => T,
    onWarning: (w) => warnings.push(w),
  });
  try {
    logger("d").debug("no");
    logger("d").info("yes");
    assert.equal(out, "2026-01-01T00:00:00.000500Z  INFO d: yes\n");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /PERISCOPE_LOG_FORMAT="yaml".*PERISCOPE_BAD_FORMAT/);
    init({
      env: { PERISCOPE_LOG: "info,x=bogus" },
      writer: () => {},
      onWarning: (w) => warnings.push(w),
    });
    assert.match(warnings[1] as string, /"x=bogus"/);
  } finally {
    setGlobalDefault(new NoSubscriber());
  }
});

test("a typo in PERISCOPE_LOG (every directive invalid) falls back to the default, errors included", () => {
  let out = "";
  const warnings: string[] = [];
  init({
    env: { PERISCOPE_LOG: "mini_redis=verbose" },
    writer: (s) => (out += s),
    clock: () => T,
    onWarning: (w) => warnings.push(w),
  });
  try {
    logger("mini_redis").error("still shown");
    logger("mini_redis").info("shown: the default is info");
    logger("mini_redis").debug("hidden");
    assert.equal(
      out,
      "2026-01-01T00:00:00.000500Z ERROR mini_redis: still shown\n" +
        "2026-01-01T00:00:00.000500Z  INFO mini_redis: shown: the default is info\n",
    );
    assert.match(warnings[0] as string, /"mini_redis=verbose": unknown level "verbose"/);
    assert.match(
      warnings[1] as string,
      /no valid PERISCOPE_LOG directive; using the default "info"/,
    );
  } finally {
    setGlobalDefault(new NoSubscriber());
  }
});

test("extra layers see what PERISCOPE_LOG hides from fmt; a kept EnvFilter can be reloaded", () => {
  let out = "";
  const traces: string[] = [];
  const consoleLike: Layer = { onEvent: (e) => traces.push(e.message ?? "") };
  const filter = new EnvFilter("error");
  init({ filter, layers: [consoleLike], writer: (s) => (out += s), clock: () => T, env: {} });
  try {
    logger("rt").trace("poll");
    assert.deepEqual(traces, ["poll"]);
    assert.equal(out, "");
    filter.reload("rt=trace");
    logger("rt").trace("poll2");
    assert.match(out, /TRACE rt: poll2/);
    assert.equal(logger("rt").enabled(Level.TRACE), true);
  } finally {
    setGlobalDefault(new NoSubscriber());
  }
});

test("the README's example prints what the README says", () => {
  const pkg = join(import.meta.dirname, "..");
  const code = readFileSync(join(import.meta.dirname, "fixtures", "readme-example.ts"), "utf8");
  const readme = readFileSync(join(pkg, "README.md"), "utf8");
  assert.ok(readme.includes(`\`\`\`ts\n${code}\`\`\``), "README shows the example verbatim");
  const shown = readme.split(`\`\`\`ts\n${code}\`\`\``)[1]?.match(/```text\n([\s\S]*?)```/)?.[1];
  assert.ok(shown !== undefined, "README shows the output after the example");
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.PERISCOPE_LOG;
  delete env.PERISCOPE_LOG_FORMAT;
  const r = spawnSync(process.execPath, [join("test", "fixtures", "readme-example.ts")], {
    cwd: pkg,
    env,
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const ts = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/g;
  assert.equal(r.stdout.replace(ts, "<ts>"), shown.replace(ts, "<ts>"));
});
