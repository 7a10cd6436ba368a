// The live connection: status as it connects, loses the server and gets it back; details and
// pause reach the server; a server without details does not break anything.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Connection } from "@periscope/console";
import type { TaskDetails, Update } from "@periscope/console-api";
import { startFixtureServer } from "./fixture-server.ts";

function recorder() {
  const log: string[] = [];
  const updates: Array<{ u: Update; fresh: boolean }> = [];
  const details: TaskDetails[] = [];
  let wake: () => void = () => {};
  const changed = () => wake();
  return {
    log,
    updates,
    details,
    events: {
      update(u: Update, fresh: boolean) {
        updates.push({ u, fresh });
        changed();
      },
      details(d: TaskDetails) {
        details.push(d);
        changed();
      },
      status(state: string, detail: string) {
        log.push(detail ? `${state}: ${detail}` : state);
        changed();
      },
    },
    async until(pred: () => boolean, ms = 10_000) {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) assert.fail(`timed out; status log: ${log.join(" | ")}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

test("connects, reports status, reconnects after the server comes back", async () => {
  let server = await startFixtureServer({ intervalMs: 100 });
  const port = server.port;
  const r = recorder();
  const conn = new Connection(server.address, r.events);
  conn.start();
  try {
    await r.until(() => r.log.includes("connected"));
    assert.equal(r.log[0], "connecting");
    assert.equal(r.updates[0]?.fresh, true);
    await r.until(() => r.updates.length >= 4);
    assert.ok(r.updates.slice(1).every((x) => !x.fresh));

    conn.watchDetails(3n);
    await r.until(() => r.details.length > 0);
    assert.equal(r.details[0]?.taskId?.id, 3n);
    conn.pause();
    await r.until(() => server.pauses === 1);

    await server.close();
    await r.until(() => r.log.some((l) => l.startsWith("disconnected")));
    assert.match(r.log.find((l) => l.startsWith("disconnected")) ?? "", /retrying in \d/);
    const before = r.updates.length;
    server = await startFixtureServer({ intervalMs: 100, port });
    await r.until(() => r.updates.length > before && r.log.at(-1) === "connected");
    assert.equal(r.updates[before]?.fresh, true, "the first update after a reconnect starts over");
    await r.until(() => server.detailRequests.includes(3n));
  } finally {
    conn.close();
    await server.close();
  }
});
