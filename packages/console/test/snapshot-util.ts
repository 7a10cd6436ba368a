// Compares rendered frames with committed text files; UPDATE_SNAPSHOTS=1 rewrites them.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripSgr } from "@periscope/console";
import stringWidth from "string-width";

const dir = join(import.meta.dirname, "snapshots");

export function matchSnapshot(name: string, lines: string[], width: number): void {
  for (const [i, l] of lines.entries()) {
    assert.equal(
      stringWidth(stripSgr(l)),
      width,
      `line ${i} of ${name} is not ${width} cells wide`,
    );
  }
  const text = `${lines.map((l) => stripSgr(l).trimEnd()).join("\n")}\n`;
  const file = join(dir, `${name}.txt`);
  if (process.env.UPDATE_SNAPSHOTS === "1" || !existsSync(file)) {
    if (process.env.CI)
      assert.fail(
        `snapshot ${name} is missing; run the tests with UPDATE_SNAPSHOTS=1 and commit it`,
      );
    writeFileSync(file, text);
    return;
  }
  assert.equal(text, readFileSync(file, "utf8"), `frame differs from snapshots/${name}.txt`);
}
