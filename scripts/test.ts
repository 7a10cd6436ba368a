// The one test command (`npm test`, also what .ci/run calls): types, lint, every suite, then the
// packaging test. Suites are node:test files under packages/*/test, apps/*/test and test/, run two
// at a time (2 cores). The packaging test (test/packaging) runs alone, last: `npm pack` rebuilds
// dist/ and the viewer's web UI, which the other suites must not see half-written.
import { spawnSync } from "node:child_process";

const only = process.argv.slice(2);
const suites =
  only.length > 0
    ? only
    : ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/*.test.ts"];

const steps: Array<[string, string, string[]]> = [
  ["typecheck", "tsc", ["-p", "tsconfig.json"]],
  ["lint", "biome", ["check", "--diagnostic-level=error", "."]],
  [
    "tests",
    process.execPath,
    ["--test", "--test-concurrency=2", "--test-timeout=180000", ...suites],
  ],
  ["packaging", process.execPath, ["--test", "test/packaging/*.test.ts"]],
];

for (const [name, cmd, args] of steps) {
  if (only.length > 0 && name !== "tests") continue;
  console.log(`\n== ${name}: ${cmd === process.execPath ? "node" : cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`\n${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}
