// Regenerates src/generated from proto/ with buf and ts-proto, both pinned devDependencies.
// Usage: `npx node packages/console-api/scripts/generate.ts [outDir]` (default: src/generated).
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** ts-proto options; changing one changes the generated API, so the drift test reads these too. */
export const TS_PROTO_OPTIONS = [
  "forceLong=bigint",
  "useDate=false",
  "useMapType=true",
  "enumsAsLiterals=true",
  "esModuleInterop=true",
  "importSuffix=.ts",
  "env=node",
  "outputServices=grpc-js",
].join(",");

function binPath(pkg: string, bin: string): string {
  const require = createRequire(join(pkgDir, "package.json"));
  const pkgJson = require.resolve(`${pkg}/package.json`);
  const p = join(dirname(pkgJson), bin);
  if (!existsSync(p)) throw new Error(`${pkg} is not installed (missing ${p}); run npm ci`);
  return p;
}

export function generate(outDir: string): void {
  const plugin = binPath("ts-proto", "protoc-gen-ts_proto");
  const buf = binPath("@bufbuild/buf", "bin/buf");
  rmSync(outDir, { recursive: true, force: true });
  const template = JSON.stringify({
    version: "v2",
    plugins: [{ local: plugin, out: outDir, opt: TS_PROTO_OPTIONS }],
  });
  const r = spawnSync(process.execPath, [buf, "generate", "--template", template], {
    cwd: pkgDir,
    encoding: "utf8",
    // ts-proto's launcher is `#!/usr/bin/env node`: put this Node first on PATH.
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` },
  });
  if (r.status !== 0) {
    throw new Error(`buf generate failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generate(resolve(process.argv[2] ?? join(pkgDir, "src/generated")));
}
