// The Registry's rules: ids unique among live spans and never reused, parents held open by
// children, close when the last handle ends, per-layer filters and contexts, layer isolation.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Interest,
  Level,
  LevelFilter,
  logger,
  type Metadata,
  withSubscriber,
} from "@periscope/tracing";
import {
  type Context,
  type Filter,
  type Layer,
  Registry,
  registry,
} from "@periscope/tracing-subscriber";

const meta = (name: string, level: Level = Level.INFO): Metadata => ({
  name,
  target: "reg",
  level,
  kind: "span",
  fields: [],
});

function closes(): Layer & { closed: bigint[] } {
  const closed: bigint[] = [];
  return { closed, onNewSpan() {}, onClose: (id) => closed.push(id) };
}

test("ids are unique among live spans and never reused, even after close", () => {
  const reg = registry().with(closes());
  const seen = new Set<bigint>();
  for (let i = 0; i < 1000; i++) {
    const id = reg.newSpan({ metadata: meta("s"), fields: {}, parent: undefined });
    assert.equal(typeof id, "bigint");
    assert.ok(!seen.has(id));
    seen.add(id);
    if (i % 2 === 0) reg.tryClose(id);
  }
  assert.equal(reg.liveSpans, 500);
});

test("a span closes when its last handle ends; clones add handles", () => {
  const layer = closes();
  const reg = registry().with(layer);
  const id = reg.newSpan({ metadata: meta("s"), fields: {}, parent: undefined });
  reg.cloneSpan(id);
  assert.equal(reg.tryClose(id), false);
  assert.deepEqual(layer.closed, []);
  assert.equal(reg.tryClose(id), true);
  assert.deepEqual(layer.closed, [id]);
  assert.equal(reg.tryClose(id), false, "closing a closed span is a no-op");
  assert.equal(reg.span(id), undefined);
});

test("children hold their parent open; the parent closes after its last child", () => {
  const layer = closes();
  const reg = registry().with(layer);
  const parent = reg.newSpan({ metadata: meta("p"), fields: {}, parent: undefined });
  const a = reg.newSpan({ metadata: meta("a"), fields: {}, parent });
  const b = reg.newSpan({ metadata: meta("b"), fields: {}, parent: a });
  reg.tryClose(parent);
  reg.tryClose(a);
  assert.deepEqual(layer.closed, [], "b still holds a, which holds p");
  assert.deepEqual(
    reg
      .span(b)
      ?.scope()
      .map((s) => s.metadata.name),
    ["b", "a", "p"],
  );
  reg.tryClose(b);
  assert.deepEqual(layer.closed, [b, a, parent]);
  assert.equal(reg.liveSpans, 0);
});

test("through the API: a span handle and children close the same way", () => {
  const layer = closes();
  const reg = registry().with(layer);
  withSubscriber(reg, () => {
    const log = logger("reg");
    const outer = log.infoSpan("outer");
    const inner = outer.inScope(() => log.infoSpan("inner"));
    outer.close();
    assert.equal(reg.liveSpans, 2);
    inner.close();
    assert.equal(reg.liveSpans, 0);
    assert.deepEqual(layer.closed, [inner.id, outer.id]);
  });
});

test("record updates fields without touching the caller's object; extensions are per span", () => {
  const reg = registry().with(closes());
  const given = { a: 1, b: undefined as unknown };
  const id = reg.newSpan({
    metadata: meta("s"),
    fields: given as Record<string, number>,
    parent: undefined,
  });
  reg.record(id, { b: 2 });
  assert.deepEqual(reg.span(id)?.fields, { a: 1, b: 2 });
  assert.deepEqual(given, { a: 1, b: undefined });
  const key = Symbol("mine");
  reg.span(id)?.extensions.set(key, 42);
  assert.equal(reg.span(id)?.extensions.get(key), 42);
  reg.recordFollowsFrom(id, 99n);
  assert.deepEqual(reg.span(id)?.followsFrom, [99n]);
});

test("a per-layer filter limits one layer, and its context hides the spans it filtered out", () => {
  const onlyInfo: Filter = {
    callsiteEnabled: (m) => (m.level >= Level.INFO ? Interest.ALWAYS : Interest.NEVER),
    enabled: (m) => m.level >= Level.INFO,
    maxLevelHint: () => LevelFilter.INFO,
  };
  const chains: string[] = [];
  const filtered: Layer = {
    onEvent: (e, ctx: Context) =>
      chains.push(
        ctx
          .spanScope(e.parent)
          .map((s) => s.metadata.name)
          .join("<"),
      ),
  };
  const all: string[] = [];
  const unfiltered: Layer = {
    onEvent: (e, ctx) =>
      all.push(
        ctx
          .spanScope(e.parent)
          .map((s) => s.metadata.name)
          .join("<"),
      ),
  };
  const reg = registry().with(filtered, onlyInfo).with(unfiltered);
  withSubscriber(reg, () => {
    const log = logger("reg");
    const a = log.infoSpan("a");
    a.inScope(() => {
      const t = log.traceSpan("t");
      t.inScope(() => {
        log.info("x");
        log.debug("hidden from filtered");
      });
      t.close();
    });
    a.close();
  });
  assert.deepEqual(chains, ["a"]);
  assert.deepEqual(all, ["t<a", "t<a"]);
});

test("interest: NEVER from any global layer wins; pure filters alone enable nothing", () => {
  const never: Layer = { register: () => Interest.NEVER, onEvent() {} };
  assert.equal(registry().with(never).with(closes()).registerCallsite(meta("x")), Interest.NEVER);
  const filterOnly: Layer = { register: () => Interest.ALWAYS };
  assert.equal(registry().with(filterOnly).registerCallsite(meta("x")), Interest.NEVER);
  assert.equal(
    registry().with(filterOnly).with(closes()).registerCallsite(meta("x")),
    Interest.ALWAYS,
  );
});

test("a throwing layer does not stop the others or reach the program", () => {
  const seen: string[] = [];
  const bad: Layer = {
    onNewSpan() {
      throw new Error("x");
    },
    onEvent() {
      throw new Error("y");
    },
    onClose() {
      throw new Error("z");
    },
  };
  const reg = new Registry().with(bad).with({ onEvent: (e) => seen.push(e.message ?? "") });
  withSubscriber(reg, () => {
    const s = logger("reg").infoSpan("s");
    s.inScope(() => logger("reg").info("still here"));
    s.close();
  });
  assert.deepEqual(seen, ["still here"]);
  assert.equal(reg.liveSpans, 0);
});

test("more than 31 per-layer filters is a clear error", () => {
  const reg = registry();
  const f: Filter = { enabled: () => true };
  for (let i = 0; i < 31; i++) reg.with({ onEvent() {} }, f);
  assert.throws(() => reg.with({ onEvent() {} }, f), /PERISCOPE_TOO_MANY_FILTERS/);
});

test("spans that outlive many newer spans are still found (table slots wrap around)", () => {
  const layer = closes();
  const reg = registry().with(layer);
  const old = reg.newSpan({ metadata: meta("old"), fields: { v: 1 }, parent: undefined });
  const held: bigint[] = [];
  for (let i = 0; i < 40_000; i++) {
    const id = reg.newSpan({
      metadata: meta("n"),
      fields: {},
      parent: i % 3 === 0 ? old : undefined,
    });
    if (i % 1000 === 0) held.push(id);
    else reg.tryClose(id);
  }
  assert.equal(reg.span(old)?.fields.v, 1);
  for (const id of held) assert.equal(reg.span(id)?.id, id);
  assert.equal(reg.liveSpans, 1 + held.length);
  for (const id of held) reg.tryClose(id);
  reg.tryClose(old);
  assert.equal(reg.liveSpans, 0);
  assert.equal(layer.closed.at(-1), old);
});
