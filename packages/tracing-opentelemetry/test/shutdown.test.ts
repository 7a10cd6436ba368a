// No span lost at the end: a child process that exits normally, or is stopped by SIGTERM or
// SIGINT, still delivers its queued spans (the batch delay is far longer than the test).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Receiver } from "./receiver.ts";

const APP = join(import.meta.dirname, "fixtures", "app.ts");

function run(receiver: Receiver, args: string[]) {
  return spawn(process.execPath, [APP, ...args], {
    env: {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, ""),
      // Long enough that only the shutdown flush can have sent the spans.
      OTEL_BSP_SCHEDULE_DELAY: "600000",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

describe("flush on shutdown", () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await new Receiver().start();
  });
  after(() => receiver.close());

  test("normal exit (the event loop empties)", { timeout: 30_000 }, async () => {
    receiver.spans.length = 0;
    const child = run(receiver, ["exit", "5"]);
    const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
    assert.equal(code, 0);
    assert.equal(signal, null);
    assert.deepEqual(receiver.spans.map((s) => s.name).sort(), [
      "work 0",
      "work 1",
      "work 2",
      "work 3",
      "work 4",
    ]);
    assert.equal(receiver.spans[0]?.resource["service.name"], "child-app");
  });

  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    test(`${sig}: flushes, then dies of the signal`, { timeout: 30_000 }, async () => {
      receiver.spans.length = 0;
      const child = run(receiver, ["wait", "4"]);
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      assert.equal(line.toString().trim(), "ready");
      assert.equal(receiver.spans.length, 0, "nothing exported before the signal");
      child.kill(sig);
      const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
      assert.equal(code, null);
      assert.equal(signal, sig);
      assert.equal(receiver.spans.length, 4);
      assert.equal(receiver.spans.filter((s) => s.events.length === 1).length, 4);
    });
  }
});
