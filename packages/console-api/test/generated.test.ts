// Guards the generated code and the wire schema: regeneration must match what is committed,
// and the schema must stay identical to tokio's console-api.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { generate } from "../scripts/generate.ts";

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function listFiles(dir: string, root: string = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, root));
    else out.push(relative(root, p));
  }
  return out.sort();
}

test("committed src/generated matches a fresh generation from proto/", () => {
  const tmp = mkdtempSync(join(tmpdir(), "console-api-gen-"));
  try {
    generate(tmp);
    const committed = join(pkgDir, "src/generated");
    const fresh = listFiles(tmp);
    assert.deepEqual(listFiles(committed), fresh, "file list drifted: run scripts/generate.ts");
    for (const f of fresh) {
      assert.equal(
        readFileSync(join(committed, f), "utf8"),
        readFileSync(join(tmp, f), "utf8"),
        `${f} drifted: run npx node packages/console-api/scripts/generate.ts`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// sha256 of `buf build --exclude-source-info` over tokio-rs/console's console-api/proto (b59758e):
// the descriptors carry every package, message, field name, number, type and label, not comments.
const UPSTREAM_DESCRIPTOR_SHA256 =
  "1b96cfa4acfc402053ea326513ab9d9f7af87231fe2d9a6855143ea78069b2fd";

test("proto descriptors are identical to upstream console-api", () => {
  const tmp = mkdtempSync(join(tmpdir(), "console-api-desc-"));
  try {
    const out = join(tmp, "image.binpb");
    const buf = join(
      dirname(fileURLToPath(import.meta.resolve("@bufbuild/buf/package.json"))),
      "bin/buf",
    );
    const r = spawnSync(process.execPath, [buf, "build", "--exclude-source-info", "-o", out], {
      cwd: pkgDir,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const digest = createHash("sha256").update(readFileSync(out)).digest("hex");
    assert.equal(digest, UPSTREAM_DESCRIPTOR_SHA256);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
