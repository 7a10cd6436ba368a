// The spawn-location transform: transformed call sites give the location the stack capture gives,
// shadowed names and unknown forms are left to the capture, and bad modules load as they are.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rewriteLoaded } from "../src/spawn-hooks.ts";
import { transformSpawnCalls } from "../src/spawn-sites.ts";
import { FIXTURES } from "./helpers.ts";

const root = join(FIXTURES, "..", "..", "..", "..");

function run(
  calls: string,
  transform: boolean | string,
  env: Record<string, string> = {},
): { locs: string[]; rewritten: boolean } {
  const hook = typeof transform === "string" ? transform : "@periscope/auto/spawn-sites";
  const args = [
    "--conditions=periscope-source",
    ...(transform ? ["--import", hook] : []),
    join(FIXTURES, "spawn-sites-app.mjs"),
    `./${calls}`,
  ];
  const out = execFileSync(process.execPath, args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, PERISCOPE_CONSOLE_BIND: "127.0.0.1:0", ...env },
  });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

for (const calls of ["spawn-sites-calls.mjs", "spawn-sites-calls.ts"]) {
  test(`${calls}: every transformed spawn gets the location the capture gives`, () => {
    const captured = run(calls, false);
    const transformed = run(calls, true);
    assert.equal(captured.rewritten, false);
    assert.equal(transformed.rewritten, true, "the hook rewrote the module");
    const mine = (xs: string[]) => xs.filter((l) => l.includes(calls));
    assert.ok(mine(captured.locs).length >= (calls.endsWith(".ts") ? 2 : 15));
    assert.deepEqual(transformed.locs, captured.locs);
  });
}

test("--import @periscope/auto applies the transform; PERISCOPE_AUTO_SPAWN_SITES=0 leaves it off", () => {
  // (auto's own tasks, such as the main module's load, are left out: the calls' tasks compared)
  const mine = (xs: string[]) => xs.filter((l) => l.includes("spawn-sites-calls.mjs"));
  const captured = mine(run("spawn-sites-calls.mjs", false).locs);
  const auto = run("spawn-sites-calls.mjs", "@periscope/auto");
  assert.equal(auto.rewritten, true);
  assert.deepEqual(mine(auto.locs), captured);
  const off = run("spawn-sites-calls.mjs", "@periscope/auto", { PERISCOPE_AUTO_SPAWN_SITES: "0" });
  assert.equal(off.rewritten, false);
  assert.deepEqual(mine(off.locs), captured);
});

test("a module that shadows spawn is left to the capture (same locations)", () => {
  const captured = run("spawn-sites-shadow.mjs", false);
  const transformed = run("spawn-sites-shadow.mjs", true);
  assert.equal(transformed.rewritten, false);
  assert.deepEqual(transformed.locs, captured.locs);
});

test("the rewrite keeps every line where it was, and adds its helpers at the end", () => {
  const src = readFileSync(join(FIXTURES, "spawn-sites-calls.mjs"), "utf8");
  const out = transformSpawnCalls(src) as string;
  const before = src.split("\n");
  const after = out.split("\n");
  assert.equal(after[before.length]?.startsWith(";import { spawnAt as __ps$spawnAt"), true);
  const table = /\[([\d,]+)\]\)\)\[i\]/.exec(out)?.[1]?.split(",").map(Number) ?? [];
  const siteLines = new Set(table.filter((_, i) => i % 2 === 0));
  for (let i = 0; i < before.length; i++) {
    // only the lines of a call change (or the line before, where a callee spans two: rt\n.spawn)
    if (after[i] !== before[i])
      assert.ok(siteLines.has(i + 1) || siteLines.has(i + 2), `line ${i + 1}`);
  }
  assert.equal(after.length, before.length + 3);
  assert.equal(table.length / 2, 14);
});

test("modules the transform does not apply to come back undefined", () => {
  assert.equal(transformSpawnCalls("export const x = 1;"), undefined);
  // spawn of another package
  assert.equal(
    transformSpawnCalls(
      'import { spawn } from "node:child_process"; spawn("ls"); // @periscope/runtime',
    ),
    undefined,
  );
  // a syntax error: Node reports it itself, the transform stays out of the way
  assert.equal(
    transformSpawnCalls('import { spawn } from "@periscope/runtime"; spawn(('),
    undefined,
  );
  // a module that already uses the transform's names
  assert.equal(
    transformSpawnCalls('import { spawn } from "@periscope/runtime"; const __ps$t = 1; spawn(f);'),
    undefined,
  );
  // a name declared twice (a parameter): the calls stay as they are
  assert.equal(
    transformSpawnCalls(
      'import { spawn } from "@periscope/runtime"; function f(spawn) { spawn(g); }',
    ),
    undefined,
  );
  // spawn?.() is left alone
  assert.equal(
    transformSpawnCalls('import { spawn } from "@periscope/runtime"; spawn?.(f);'),
    undefined,
  );
});

test("a zero-argument call keeps spawn's error, and nested calls each get their site", () => {
  const out = transformSpawnCalls(
    'import { spawn } from "@periscope/runtime";\nspawn();\nspawn(spawn(() => 1) && (() => 2));\n',
  ) as string;
  assert.match(out, /^__ps\$spawnAt\(__ps\$s\(\d\)\);$/m);
  assert.match(out, /__ps\$spawnAt\(__ps\$s\(\d\), __ps\$spawnAt\(__ps\$s\(\d\), \(\) => 1\)/);
  assert.match(out, /__ps\$s\(1\), \(\) => 1/);
  assert.match(out, /\[3,1,3,7,2,1\]/);
});

test("the load hook leaves other formats and URLs alone, and strips TypeScript", () => {
  const src = 'import { spawn } from "@periscope/runtime";\nspawn(() => 1);\n';
  assert.equal(rewriteLoaded("node:fs", { format: "builtin", source: null }), undefined);
  assert.equal(rewriteLoaded("file:///a.cjs", { format: "commonjs", source: src }), undefined);
  const js = rewriteLoaded("file:///a.mjs", { format: "module", source: Buffer.from(src) });
  assert.equal(js?.format, "module");
  assert.match(String(js?.source), /__ps\$spawnAt/);
  const ts = rewriteLoaded("file:///a.ts", {
    format: "module-typescript",
    source: 'import { spawn } from "@periscope/runtime";\nconst n: number = 1;\nspawn(() => n);\n',
  });
  assert.equal(ts?.format, "module");
  assert.match(String(ts?.source), /const n {9}= 1;\n__ps\$spawnAt\(__ps\$s\(0\), \(\) => n\);/);
});
