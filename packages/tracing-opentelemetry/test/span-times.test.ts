// Span and event times under load: one monotonic clock for every start, end and event, so a
// child always lies within its parent, even when the wall clock steps in the middle of a run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import type { HrTime } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { Level, logger, withSubscriber } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";
import { openTelemetryLayer } from "../src/index.ts";

const log = logger("test::times");
const ns = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

test("children lie within their parents over a long run, across a wall-clock step", {
  timeout: 60_000,
}, async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reg = registry().with(openTelemetryLayer({ tracer: provider.getTracer("times") }));
  const realNow = Date.now;
  const REQUESTS = 1500;
  try {
    await withSubscriber(reg, async () => {
      for (let i = 0; i < REQUESTS; i++) {
        // Halfway through, the wall clock steps 40 s ahead (NTP, a resumed VM): span times
        // must not follow it, or children would start after their parents ended.
        if (i === REQUESTS / 2) Date.now = () => realNow() + 40_000;
        const req = log.span(Level.INFO, "request", { i });
        await req.inScope(async () => {
          const parse = log.span(Level.DEBUG, "parse");
          parse.inScope(() => log.debug("parsed"));
          parse.close();
          await tick();
          const apply = log.span(Level.DEBUG, "apply");
          await apply.inScope(async () => {
            await tick();
            log.info("applied");
          });
          apply.close();
        });
        req.close();
      }
    });
  } finally {
    Date.now = realNow;
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, REQUESTS * 3);
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  let outside = 0;
  let subMs = 0;
  let eventsOutside = 0;
  for (const s of spans) {
    if (s.startTime[1] % 1_000_000 !== 0) subMs++;
    for (const e of s.events) {
      if (ns(e.time) < ns(s.startTime) || ns(e.time) > ns(s.endTime)) eventsOutside++;
    }
    const pid = s.parentSpanContext?.spanId;
    if (pid === undefined) continue;
    const p = byId.get(pid);
    assert.ok(p !== undefined, "every child's parent was exported");
    if (ns(s.startTime) < ns(p.startTime) || ns(s.endTime) > ns(p.endTime)) outside++;
  }
  assert.equal(outside, 0, "children outside their parent");
  assert.equal(eventsOutside, 0, "events outside their span");
  // Starts have the clock's sub-millisecond precision, as ends and events do (not whole ms).
  assert.ok(subMs > spans.length * 0.9, `${subMs} of ${spans.length} starts below 1 ms precision`);
  // No hole: the run's start times are contiguous, never 40 s apart.
  const starts = spans.map((s) => ns(s.startTime)).sort((a, b) => (a < b ? -1 : 1));
  let gap = 0n;
  for (let i = 1; i < starts.length; i++) {
    const d = (starts[i] as bigint) - (starts[i - 1] as bigint);
    if (d > gap) gap = d;
  }
  assert.ok(gap < 10_000_000_000n, `largest gap between starts ${Number(gap) / 1e9} s`);
  await provider.shutdown();
});
