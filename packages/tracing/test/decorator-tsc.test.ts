// The @instrumented decorator as real code uses it: TypeScript source with decorator syntax,
// compiled by tsc (standard decorators, downlevelled), then run.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import ts from "typescript";

const source = `
import { instrumented, currentSpan } from "@periscope/tracing";
export class Db {
  data = new Map([["a", 1]]);
  @instrumented({ err: true, args: ["key"] })
  async get(key: string) {
    return { value: this.data.get(key), span: currentSpan().metadata?.name };
  }
  @instrumented()
  fail(): never {
    throw new RangeError("always");
  }
}
`;

test("tsc-compiled standard decorators instrument methods without changing them", async () => {
  const out = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const api = pathToFileURL(join(import.meta.dirname, "..", "src", "index.ts")).href;
  const dir = mkdtempSync(join(tmpdir(), "periscope-decorator-"));
  try {
    const file = join(dir, "db.mjs");
    writeFileSync(file, out.replace('"@periscope/tracing"', JSON.stringify(api)));
    const { Db } = (await import(pathToFileURL(file).href)) as {
      Db: new () => { get(k: string): Promise<{ value: unknown; span: unknown }>; fail(): never };
    };
    const { expect } = await import("@periscope/tracing-subscriber");
    await expect()
      .newSpan("get", { fields: { key: "a" } })
      .close("get")
      .newSpan("fail")
      .close("fail")
      .ignoring("enter", "exit", "event")
      .run(async () => {
        const db = new Db();
        assert.deepEqual(await db.get("a"), { value: 1, span: "get" });
        assert.throws(() => db.fail(), RangeError);
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
