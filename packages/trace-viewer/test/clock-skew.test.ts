// Jaeger's clock-skew adjuster on /api/traces: a child from another host that does not fit in
// its parent is moved (start and logs, by at most --max-clock-skew-adjustment) or, past that
// or when it is 0s (the default), left alone with Jaeger's warning; raw=true skips it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { goDuration } from "../src/query/clock-skew.ts";
import { getJson, postJson, testViewer } from "./helpers.ts";

const TRACE = "5c0c5c0c5c0c5c0c5c0c5c0c5c0c5c0c";
const T = 1_760_000_000_000_000n; // µs
const ns = (us: bigint) => String(us * 1000n);

function resource(host: string, spans: unknown[]) {
  return {
    resource: {
      attributes: [
        { key: "service.name", value: { stringValue: `svc-${host}` } },
        { key: "host.name", value: { stringValue: host } },
      ],
    },
    scopeSpans: [{ scope: { name: "skew" }, spans }],
  };
}

function span(id: string, parent: string, startUs: bigint, durUs: bigint, events: bigint[] = []) {
  return {
    traceId: TRACE,
    spanId: id,
    ...(parent ? { parentSpanId: parent } : {}),
    name: id,
    kind: 1,
    startTimeUnixNano: ns(startUs),
    endTimeUnixNano: ns(startUs + durUs),
    events: events.map((e) => ({ timeUnixNano: ns(e), name: "ev" })),
  };
}

// Parent on host a: 100 ms. Its child on host b starts 5 s before it (b's clock is behind):
// 20 ms long, so it should sit (100 - 20) / 2 = 40 ms into the parent: a move of 5.04 s. The
// grandchild, also on b, inherits that move; a same-host child outside its parent is left
// alone; a span whose parent is missing is a root with a warning.
const body = {
  resourceSpans: [
    resource("a", [
      span("aaaaaaaaaaaaaaa1", "", T, 100_000n),
      span("aaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaa1", T + 200_000n, 10_000n),
      // Same id, other times: kept, outside the tree, with Jaeger's warning.
      span("aaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaa1", T + 300_000n, 1_000n),
    ]),
    resource("b", [
      span("bbbbbbbbbbbbbbb1", "aaaaaaaaaaaaaaa1", T - 5_000_000n, 20_000n, [T - 4_990_000n]),
      span("bbbbbbbbbbbbbbb2", "bbbbbbbbbbbbbbb1", T - 4_999_000n, 5_000n),
      span("bbbbbbbbbbbbbbb3", "cccccccccccccccc", T, 1_000n),
    ]),
  ],
};

// The first span of each id.
const byId = (trace: any) =>
  Object.fromEntries(trace.spans.toReversed().map((s: any) => [s.spanID, s])) as Record<
    string,
    any
  >;

test("clock skew: moved within the allowed delta, warned past it or when off, raw skips", async (t) => {
  const moved = "This span's timestamps were adjusted by 5.04s";
  const missing =
    "parent span ID=cccccccccccccccc is not in the trace; skipping clock skew adjustment";
  const cases = [
    {
      max: 10_000_000,
      child: { start: T + 40_000n, warn: [moved] },
      log: T - 4_990_000n + 5_040_000n,
    },
    {
      max: 1_000_000,
      child: {
        start: T - 5_000_000n,
        warn: [
          "max clock skew adjustment delta of 1s exceeded; not applying calculated delta of 5.04s",
        ],
      },
      log: T - 4_990_000n,
    },
    {
      max: 0,
      child: {
        start: T - 5_000_000n,
        warn: ["clock skew adjustment disabled; not applying calculated delta of 5.04s"],
      },
      log: T - 4_990_000n,
    },
  ];
  for (const c of cases) {
    const v = await testViewer({ queryLimits: { maxClockSkewAdjustUs: c.max } });
    t.after(() => v.close());
    assert.equal((await postJson(v.otlpHttpUrl!, body)).status, 200);
    const r = await getJson(`${v.uiUrl}/api/traces/${TRACE}`);
    const s = byId(r.body.data[0]);
    const child = s.bbbbbbbbbbbbbbb1;
    assert.equal(child.startTime, Number(c.child.start), `max ${c.max}`);
    assert.equal(child.duration, 20_000);
    assert.deepEqual(child.warnings, c.child.warn);
    assert.equal(child.logs[0].timestamp, Number(c.log));
    // The grandchild on the same host gets the same move (or the same warning).
    const moveBy = Number(c.child.start - (T - 5_000_000n));
    assert.equal(s.bbbbbbbbbbbbbbb2.startTime, Number(T - 4_999_000n) + moveBy);
    assert.deepEqual(s.bbbbbbbbbbbbbbb2.warnings, c.child.warn);
    // Same host as its parent: never moved, though it starts after the parent ended.
    assert.equal(s.aaaaaaaaaaaaaaa2.startTime, Number(T + 200_000n));
    assert.equal(s.aaaaaaaaaaaaaaa2.warnings, null);
    assert.equal(s.aaaaaaaaaaaaaaa1.warnings, null);
    assert.deepEqual(s.bbbbbbbbbbbbbbb3.warnings, [missing]);
    const twins = r.body.data[0].spans.filter((x: any) => x.spanID === "aaaaaaaaaaaaaaa2");
    assert.deepEqual(
      twins.map((x: any) => x.warnings),
      [null, ["duplicate span IDs; skipping clock skew adjustment"]],
    );
    // raw=true: the stored times, no adjuster warnings.
    const raw = byId((await getJson(`${v.uiUrl}/api/traces/${TRACE}?raw=true`)).body.data[0]);
    assert.equal(raw.bbbbbbbbbbbbbbb1.startTime, Number(T - 5_000_000n));
    assert.equal(raw.bbbbbbbbbbbbbbb1.warnings, null);
    assert.equal(raw.bbbbbbbbbbbbbbb3.warnings, null);
  }
});

test("clock skew warnings print durations as Go does", () => {
  assert.equal(goDuration(0), "0s");
  assert.equal(goDuration(250), "250µs");
  assert.equal(goDuration(-1500), "-1.5ms");
  assert.equal(goDuration(5_040_000), "5.04s");
  assert.equal(goDuration(90_500_000), "1m30.5s");
  assert.equal(goDuration(3_600_000_000), "1h0m0s");
});
