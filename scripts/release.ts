// `npm run release:version -- X.Y.Z`: gives the whole @periscope family one new version and pins
// every internal dependency to it, then refreshes package-lock.json. `npm version --workspaces`
// alone bumps versions but leaves the siblings' dependency specs behind (and its install would then
// look for the old versions in the registry), hence this script. The release procedure is in the
// README ("Releasing").
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const version = process.argv[2];
if (version === undefined || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error("usage: npm run release:version -- X.Y.Z   (a semver version, e.g. 0.2.0)");
  process.exit(2);
}

type Manifest = Record<string, unknown> & {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const read = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Manifest;
const write = (dir: string, m: Manifest): void =>
  writeFileSync(join(root, dir, "package.json"), `${JSON.stringify(m, null, 2)}\n`);

const dirs = [".", ...(read(".").workspaces as string[])];
const family = new Set(dirs.slice(1).map((d) => read(d).name));
for (const dir of dirs) {
  const m = read(dir);
  m.version = version;
  for (const deps of [m.dependencies, m.devDependencies]) {
    for (const name of Object.keys(deps ?? {})) if (family.has(name)) deps![name] = version;
  }
  write(dir, m);
  console.log(`${m.name.padEnd(34)} ${version}`);
}
execFileSync(
  "npm",
  ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
console.log(
  `\nNext: npm test, commit "release ${version}", tag v${version}, then npm publish --workspaces`,
);
