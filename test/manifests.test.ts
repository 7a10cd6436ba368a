// The family's package.json files agree with each other: one version, internal dependencies pinned
// to it, compiled entries for users beside the workspace's source condition, what npm publishes,
// and build references that follow the dependencies (so `tsc -b` builds in order).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..");
type Deps = Record<string, string>;
interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  workspaces?: string[];
  exports?: Record<string, unknown>;
  imports?: Record<string, Record<string, string>>;
  bin?: Record<string, string>;
  files?: string[];
  engines?: { node?: string };
  publishConfig?: { access?: string };
  repository?: { directory?: string };
  dependencies?: Deps;
  devDependencies?: Deps;
  scripts?: Record<string, string>;
}
const read = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Manifest;
const rootPkg = read(".");
const all = rootPkg.workspaces!.map((dir) => ({ dir, m: read(dir) }));
const published = all.filter((p) => !p.m.private);
const family = new Set(all.map((p) => p.m.name));

test("bench is private; everything else is published", () => {
  assert.deepEqual(
    all.filter((p) => p.m.private).map((p) => p.dir),
    ["bench"],
  );
});

test("one version for the family, internal dependencies pinned to it", () => {
  for (const { dir, m } of all) {
    assert.equal(m.version, rootPkg.version, `${dir} version`);
    for (const deps of [m.dependencies, m.devDependencies]) {
      for (const [name, spec] of Object.entries(deps ?? {})) {
        if (family.has(name)) assert.equal(spec, rootPkg.version, `${dir}: ${name}`);
      }
    }
  }
});

test("each published entry gives users compiled types and code, the workspace its source", () => {
  for (const { dir, m } of published) {
    const exps = (m.exports ?? {}) as Record<string, Record<string, string>>;
    assert.deepEqual(
      exps["."],
      {
        "periscope-source": "./src/index.ts",
        types: "./dist/index.d.ts",
        default: "./dist/index.js",
      },
      dir,
    );
    assert.equal(exps["./package.json"], "./package.json", dir);
    // Any further entry (e.g. @periscope/auto/spawn-sites) maps its source to its built file.
    for (const [key, target] of Object.entries(exps)) {
      if (key === "." || key === "./package.json") continue;
      const src = target["periscope-source"]!;
      assert.ok(existsSync(join(root, dir, src)), `${dir} ${key} -> ${src}`);
      const js = src.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, ".js");
      assert.deepEqual(
        target,
        { "periscope-source": src, types: js.replace(/\.js$/, ".d.ts"), default: js },
        `${dir} ${key}`,
      );
    }
    assert.ok(existsSync(join(root, dir, "src/index.ts")), `${dir}/src/index.ts`);
    for (const [key, target] of Object.entries(m.imports ?? {})) {
      const src = target["periscope-source"]!;
      assert.ok(existsSync(join(root, dir, src)), `${dir} ${key} -> ${src}`);
      assert.equal(target.default, src.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, ".js"));
    }
    for (const [name, file] of Object.entries(m.bin ?? {})) {
      const text = readFileSync(join(root, dir, file), "utf8");
      assert.match(text, /^#!\/usr\/bin\/env node\n/, `${name} has a node shebang`);
      const target = text.match(/import\("(#[\w-]+)"\)/)?.[1];
      assert.ok(target && m.imports?.[target], `${name} imports a declared #entry`);
    }
    assert.ok(m.files?.includes("dist"), `${dir} publishes dist`);
    assert.equal(m.engines?.node, published[0]!.m.engines?.node, `${dir} engines`);
    assert.equal(m.publishConfig?.access, "public", `${dir} publishConfig`);
    assert.equal(m.repository?.directory, dir, `${dir} repository.directory`);
    assert.ok(existsSync(join(root, dir, "LICENSE")), `${dir}/LICENSE`);
    assert.match(m.scripts?.prepack ?? "", /npm run build/, `${dir} builds at prepack`);
  }
});

test("each package README starts with its title and the install line", () => {
  for (const { dir, m } of published) {
    const readme = readFileSync(join(root, dir, "README.md"), "utf8");
    const [title, blank, fence, install] = readme.split("\n");
    assert.match(title!, /^# /, `${dir} README title`);
    assert.deepEqual([blank, fence], ["", "```sh"], `${dir} README: the install block comes first`);
    assert.ok(install!.startsWith("npm i") || install!.startsWith("npx "), `${dir}: ${install}`);
    assert.ok(install!.includes(m.name), `${dir}: the install line names ${m.name}`);
  }
});

test("build references follow the internal dependencies, and the root build lists every package", () => {
  const byName = new Map(all.map((p) => [p.m.name, p.dir]));
  for (const { dir, m } of published) {
    const cfg = JSON.parse(readFileSync(join(root, dir, "tsconfig.build.json"), "utf8")) as {
      references?: Array<{ path: string }>;
    };
    const refs = (cfg.references ?? []).map((r) => join(dir, r.path));
    const want = Object.keys(m.dependencies ?? {})
      .filter((n) => family.has(n))
      .map((n) => join(byName.get(n)!, "tsconfig.build.json"));
    assert.deepEqual(refs.sort(), want.sort(), `${dir} tsconfig.build.json references`);
    assert.ok(
      rootPkg.scripts!.build!.includes(`${dir}/tsconfig.build.json`),
      `root build includes ${dir}`,
    );
  }
});
