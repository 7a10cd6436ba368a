// Retained completed tasks: each row keeps its own field values (a connection's peer) compactly,
// and a byte budget past which the oldest go first, counted in stats and on the warnings resource.
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { decodeHdrHistogramV2 } from "@periscope/console-api";
import { callsite, type Fields, Level } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";
import {
  builder,
  type ConsoleOptions,
  type ConsoleSubscriber,
  DEFAULTS,
  ManualClock,
  optionsFromEnv,
  WARNINGS_RESOURCE_ID,
} from "../src/index.ts";
import { Blob, readValues, writeValues } from "../src/row-values.ts";
import type { StaticInfo } from "../src/static-table.ts";
import { fieldValue, View, wake } from "./helpers.ts";

const CONN = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::task",
  name: "runtime.spawn",
  fields: ["kind", "task.name", "task.id", "peer", "loc.file", "loc.line", "loc.col"],
});

let nextTid = 1;

function setup(o: Partial<ConsoleOptions> = {}): {
  clock: ManualClock;
  c: ConsoleSubscriber;
  view: View;
} {
  const clock = new ManualClock();
  const c = builder()
    .with({ serve: false, timer: false, clock, eventLoopMetrics: false, ...o })
    .spawn();
  registry().with(c.layer, c.filter).init();
  const view = new View();
  c.onUpdate((parts) => view.applyBytes(parts));
  return { clock, c, view };
}

/** A connection as mini-redis spawns one: its own peer, a few polls, then done. */
function connection(s: { clock: ManualClock }, i: number): bigint {
  const t = CONN.span(
    {
      kind: "task",
      "task.name": "connection",
      "task.id": nextTid++,
      peer: `127.0.0.1:${10_000 + i}`,
      "loc.file": "src/server.ts",
      "loc.line": 152,
      "loc.col": 5,
    },
    null,
  );
  for (let p = 0; p < 3; p++) {
    wake(t, "waker.wake_by_ref");
    s.clock.advance(0.01 + (i % 7) / 1e4);
    t.inScope(() => s.clock.advance(0.02 + (p % 3) / 1e4));
  }
  t.close();
  return t.id as bigint;
}

test("every retained connection keeps its own peer, past the shared entries of its spawn site", () => {
  const s = setup();
  for (let i = 0; i < 9000; i++) {
    connection(s, i);
    if (i % 1000 === 999) s.c.tick();
  }
  s.c.tick();
  // A fresh client reads them all back from the rows (two chunks of them packed).
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  assert.equal(fresh.tasks.size, 9000);
  const peers = new Set<unknown>();
  for (const [id, t] of s.view.tasks) {
    const got = fresh.tasks.get(id);
    // The live client got each task as its span had it; the rows keep the same fields, but not
    // in the span's order (site-shared values first), so they are compared by name.
    const byName = (task: typeof t.task | undefined) =>
      task === undefined
        ? undefined
        : {
            ...task,
            fields: [...task.fields].sort((a, b) =>
              (a.strName ?? "").localeCompare(b.strName ?? ""),
            ),
          };
    assert.deepEqual(byName(got?.task), byName(t.task), `task ${id}`);
    assert.deepEqual(got?.stats, t.stats, `stats of task ${id}`);
    peers.add(fieldValue(got?.task.fields ?? [], "peer"));
  }
  assert.equal(peers.size, 9000, "each its own peer");
  // Histograms survive (three polls each), rebuilt from the rows' payloads.
  const first = [...s.view.tasks.keys()][0] as bigint;
  const d = s.c.taskDetails(first);
  const polls = decodeHdrHistogramV2(d?.histogram?.rawHistogram ?? Buffer.alloc(0));
  const sched = decodeHdrHistogramV2(d?.scheduledTimesHistogram?.rawHistogram ?? Buffer.alloc(0));
  assert.equal(polls.totalCount, 3);
  assert.equal(sched.totalCount, 3);
  const perRow = s.c.stats().retainedTaskBytes / 9000;
  assert.ok(perRow < 80, `${perRow.toFixed(1)} bytes a row`);
  s.c.close();
});

test("past the byte budget the oldest completed tasks go first, counted and shown", () => {
  const budget = 1024 * 1024;
  const s = setup({ retainBytes: budget });
  const ids: bigint[] = [];
  const total = 40_000;
  for (let i = 0; i < total; i++) {
    ids.push(connection(s, i));
    if (i % 2000 === 1999) s.c.tick();
  }
  s.c.tick();
  const st = s.c.stats();
  assert.ok(st.droppedForBudget > 0, "some dropped for the budget");
  assert.equal(st.tasks + st.droppedForBudget, total, "every task either kept or counted");
  assert.ok(st.retainedBytes <= budget, `${st.retainedBytes} bytes retained`);
  // The newest stay: a fresh client gets exactly the last st.tasks of them.
  const fresh = new View();
  s.c.onUpdate((p) => fresh.applyBytes(p));
  const kept = [...fresh.tasks.keys()].sort((a, b) => (a < b ? -1 : 1));
  assert.deepEqual(kept, ids.slice(total - st.tasks));
  // And the console shows the count, on the warnings resource, from the next publish.
  s.c.tick();
  assert.equal(s.c.stats().droppedForBudget, st.droppedForBudget, "stable once within budget");
  const w = s.view.resources.get(WARNINGS_RESOURCE_ID);
  const a = (n: string) => w?.stats?.attributes.find((x) => x.field?.strName === n);
  assert.equal(a("retained.dropped_for_budget")?.field?.u64Val, BigInt(st.droppedForBudget));
  assert.equal(a("retained.budget")?.field?.u64Val, 1024n);
  assert.equal(a("retained.budget")?.unit, "KiB");
  assert.ok(Number(a("retained.bytes")?.field?.u64Val) > 0);
  // Retention still applies on its own: an hour later, none is left and none more is counted.
  s.clock.advance(2 * 60 * 60 * 1000);
  s.c.tick();
  assert.equal(s.c.stats().tasks, 0);
  assert.equal(s.c.stats().droppedForBudget, st.droppedForBudget);
  s.c.close();
});

test("within the budget, nothing is dropped early", () => {
  const s = setup({ retainBytes: 64 * 1024 * 1024 });
  for (let i = 0; i < 10_000; i++) connection(s, i);
  s.c.tick();
  assert.equal(s.c.stats().tasks, 10_000);
  assert.equal(s.c.stats().droppedForBudget, 0);
  s.c.close();
});

test("PERISCOPE_CONSOLE_RETAIN_BYTES: sizes, unlimited, and bad values warned and ignored", () => {
  assert.equal(DEFAULTS.retainBytes, 32 * 1024 * 1024);
  assert.equal(optionsFromEnv({ PERISCOPE_CONSOLE_RETAIN_BYTES: "64MiB" }).retainBytes, 2 ** 26);
  assert.equal(optionsFromEnv({ PERISCOPE_CONSOLE_RETAIN_BYTES: "100MB" }).retainBytes, 1e8);
  assert.equal(optionsFromEnv({ PERISCOPE_CONSOLE_RETAIN_BYTES: "2097152" }).retainBytes, 2 ** 21);
  assert.equal(
    optionsFromEnv({ PERISCOPE_CONSOLE_RETAIN_BYTES: "unlimited" }).retainBytes,
    Number.POSITIVE_INFINITY,
  );
  const warn = mock.method(process, "emitWarning", () => {});
  try {
    for (const bad of ["12", "lots", "5 parsecs", "-3MB"])
      assert.equal(optionsFromEnv({ PERISCOPE_CONSOLE_RETAIN_BYTES: bad }).retainBytes, undefined);
  } finally {
    warn.mock.restore();
  }
  const warnings = warn.mock.calls.map(
    (c) => `${(c.arguments[1] as unknown as { code: string }).code}: ${String(c.arguments[0])}`,
  );
  assert.equal(warnings.length, 4);
  for (const w of warnings)
    assert.match(w, /^PERISCOPE_CONSOLE_ENV: PERISCOPE_CONSOLE_RETAIN_BYTES=/);
  assert.throws(
    () => builder().with({ serve: false, timer: false }).retainBytes(1000).spawn(),
    (e: Error & { code?: string }) =>
      e instanceof RangeError && e.code === "PERISCOPE_CONSOLE_OPTION" && /1 MiB/.test(e.message),
  );
});

test("a row's values read back as written, every primitive type", () => {
  const info: StaticInfo = {
    key: "k",
    refs: 1,
    metaId: 1n,
    metadata: CONN.metadata,
    fields: { a: "x", b: 1, c: 2.5, d: 1n, e: true, f: null, g: undefined, h: "same" },
    names: ["a", "b", "c", "d", "e", "f", "g", "h"],
    location: undefined,
    bytes: 0,
    site: { key: "k", entries: 1, base: 0 },
  };
  const rows: Fields[] = [
    { a: "héllo ✓ 🚀", b: -7, c: -0, d: -(2n ** 70n), e: false, f: 3, g: null, h: "same" },
    { a: "", b: 2 ** 53 - 1, c: Number.NaN, d: 0n, e: "true", f: undefined, g: 0.1, h: "same" },
    { a: "x", b: 1.5, c: Number.POSITIVE_INFINITY, d: 1n, e: true, f: null, g: 1n, h: "other" },
  ];
  const b = new Blob(4);
  const at = rows.map((r) => {
    const start = b.n;
    writeValues(b, info, r);
    return start;
  });
  rows.forEach((r, i) => {
    const into = { ...info.fields };
    readValues(b.buf, at[i] as number, info, into);
    assert.deepEqual(into, r, `row ${i}`);
    for (const k of info.names) assert.ok(Object.is(into[k], r[k]), `${i}.${k}`);
  });
  assert.throws(() => readValues(b.buf.subarray(0, 3), 0, info, {}), /truncated/);
});
