// The one test command (`npm test`, also what .ci/run calls): types, lint, then every suite.
// Suites are node:test files under packages/*/test and apps/*/test, run two at a time (2 cores).
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
