// Collector down: the program goes on, spans that cannot leave are counted as dropped or failed,
// and what waits in memory stays within the batch processor's bounds.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Level, logger } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";
import { initOpenTelemetry } from "../src/index.ts";

const log = logger("test::down");

/** A loopback port that nothing listens on any more. */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, "close");
  return port;
}

function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return process.memoryUsage().heapUsed;
}

test("collector endpoint down: the app keeps running, drops are counted, memory stays bounded", {
  timeout: 60_000,
}, async () => {
  const port = await closedPort();
  const maxQueueSize = 256;
  const maxExportBatchSize = 64;
  const otel = initOpenTelemetry({
    serviceName: "down-test",
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    env: { OTEL_EXPORTER_OTLP_TIMEOUT: "300" },
    batch: { maxQueueSize, maxExportBatchSize, scheduledDelayMillis: 5 },
    handleSignals: false,
  });
  const reg = registry().with(otel.layer).init();
  const rounds = 40;
  const perRound = 1000;
  let work = 0;
  let maxPending = 0;
  let heapStart = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < perRound; i++) {
      const s = log.span(Level.INFO, "request", { round: r, i, payload: "x".repeat(200) });
      s.inScope(() => log.info("event", { detail: "y".repeat(100) }));
      s.close();
      work++;
    }
    maxPending = Math.max(maxPending, otel.stats().pending);
    if (r === 4) heapStart = heapAfterGc();
    await sleep(1);
  }
  const heapEnd = heapAfterGc();
  assert.equal(work, rounds * perRound, "the program ran to the end");
  const st = otel.stats();
  assert.equal(st.exported, 0);
  assert.ok(st.dropped > 0, `drops counted: ${JSON.stringify(st)}`);
  assert.equal(st.ended, rounds * perRound);
  assert.equal(st.ended, st.exported + st.dropped + st.failed + st.pending);
  // The queue, plus the exports allowed in flight (queue / batch + 1 of them, see init).
  const bound = maxQueueSize + (maxQueueSize / maxExportBatchSize + 1) * maxExportBatchSize;
  assert.ok(maxPending > 0 && maxPending <= bound, `pending ${maxPending} within ${bound}`);
  assert.equal(reg.liveSpans, 0);
  // 35 000 spans of ~400 bytes would hold > 14 MB if kept; the queue bounds it far below.
  const growth = heapEnd - heapStart;
  assert.ok(growth < 8 * 2 ** 20, `heap grew ${Math.round(growth / 2 ** 10)} KiB`);
  await otel.shutdown();
  const final = otel.stats();
  assert.ok(final.failed > 0, `failed exports counted: ${JSON.stringify(final)}`);
});
