// How a trace's spans come out of /api/traces/{id}: in arrival order (as Jaeger's stores return
// them), whether its spans arrived together or scattered between other traces' spans.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getJson, hexId, jsonRequest, postJson, tempDir, testViewer } from "./helpers.ts";

const T0 = 1_760_000_000_000_000_000n;

test("spans come back in arrival order, dense or scattered among other traces", async (t) => {
  const v = await testViewer({ dataDir: tempDir(t), maxBytes: 0 });
  t.after(() => v.close());
  const dense = hexId(0xd0, 16);
  const sparse = hexId(0x5a, 16);
  const sent: Record<string, string[]> = { [dense]: [], [sparse]: [] };
  // Span ids count down, so span-id order is the reverse of arrival order.
  let next = 0xffff;
  const spansOf = (traceId: string, n: number) =>
    Array.from({ length: n }, () => {
      const spanId = hexId(next--, 8);
      sent[traceId]?.push(spanId);
      return { traceId, spanId, name: "op", startNs: T0 + BigInt(next), durationNs: 1000n };
    });
  const filler = (n: number) =>
    Array.from({ length: n }, () => ({
      traceId: hexId(0x1000 + next, 16),
      spanId: hexId(next--, 8),
      name: "filler",
      startNs: T0,
      durationNs: 1000n,
    }));
  // The dense trace: three batches with a few other spans between them.
  for (let b = 0; b < 3; b++) {
    assert.equal(
      (await postJson(v.otlpHttpUrl!, jsonRequest("order", spansOf(dense, 20)))).status,
      200,
    );
    assert.equal((await postJson(v.otlpHttpUrl!, jsonRequest("order", filler(5)))).status, 200);
  }
  // The scattered trace: one span, then 100 others, five times (far apart in the table).
  for (let b = 0; b < 5; b++) {
    assert.equal(
      (await postJson(v.otlpHttpUrl!, jsonRequest("order", spansOf(sparse, 1)))).status,
      200,
    );
    assert.equal((await postJson(v.otlpHttpUrl!, jsonRequest("order", filler(100)))).status, 200);
  }
  for (const id of [dense, sparse]) {
    const r = await getJson(`${v.uiUrl}/api/traces/${id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.data[0].spans.map((s: { spanID: string }) => s.spanID),
      sent[id],
    );
  }
});
