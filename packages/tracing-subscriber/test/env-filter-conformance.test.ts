// EnvFilter conformance: each case of env-filter-cases.ts run with the filter used globally and
// as a per-layer filter, as upstream's suite does; then interest, hints, Display and add_directive.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Callsite,
  callsite,
  type EventRecord,
  Interest,
  Level,
  LevelFilter,
  logger,
  withSubscriber,
} from "@periscope/tracing";
import { EnvFilter, type Layer, registry } from "@periscope/tracing-subscriber";

import { CASES, type H, T } from "./env-filter-cases.ts";

const { TRACE, DEBUG, INFO, ERROR } = Level;

function capture(): Layer & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    onEvent(e: EventRecord) {
      seen.push(e.message ?? "");
    },
    onNewSpan(attrs) {
      seen.push(`span:${attrs.metadata.name}`);
    },
  };
}

// Each tracing macro is its own callsite, with its own field names; so is each span shape here.
const spanSites = new Map<string, Callsite>();
const helpers: H = {
  ev: (level, message, fields = {}, target = T) => logger(target).event(level, message, fields),
  span: (level, name, fields = {}, target = T) => {
    const key = JSON.stringify([level, name, target, Object.keys(fields)]);
    let cs = spanSites.get(key);
    if (cs === undefined) {
      cs = callsite({ kind: "span", level, name, target, fields: Object.keys(fields) });
      spanSites.set(key, cs);
    }
    return cs.span(fields);
  },
};

for (const mode of ["global", "per-layer"] as const) {
  describe(`EnvFilter conformance: behaviour (${mode})`, () => {
    for (const [from, spec, run, seen] of CASES) {
      test(`${from}: ${JSON.stringify(spec)}`, async () => {
        const cap = capture();
        const filter = new EnvFilter(spec, { onWarning: () => {} });
        const reg =
          mode === "global" ? registry().with(filter).with(cap) : registry().with(cap, filter);
        await withSubscriber(reg, () => run(helpers));
        assert.deepEqual(cap.seen, seen);
      });
    }
  });
}

describe("EnvFilter conformance: interest, hints, display, add_directive", () => {
  const meta = (level: Level, fields: string[] = []) => ({
    kind: "span" as const,
    name: "mySpan",
    target: "app",
    level,
    fields,
  });
  const INTEREST: [from: string, spec: string, m: ReturnType<typeof meta>, interest: number][] = [
    ["callsite_enabled_no_span_directive", "app=debug", meta(TRACE), Interest.NEVER],
    ["callsite_off", "app=off", meta(ERROR), Interest.NEVER],
    ["callsite_enabled_includes_span_directive", "app[mySpan]=debug", meta(TRACE), Interest.ALWAYS],
    [
      "callsite_enabled_includes_span_directive_field",
      'app[mySpan{field="value"}]=debug',
      meta(TRACE, ["field"]),
      Interest.ALWAYS,
    ],
    [
      "callsite_enabled_includes_span_directive_multiple_fields",
      'app[mySpan{field="value",field2=2}]=debug',
      meta(TRACE, ["field"]),
      Interest.NEVER,
    ],
    ["static and enabled", "app=debug", meta(INFO), Interest.ALWAYS],
  ];
  for (const [from, spec, m, interest] of INTEREST) {
    test(`${from}: ${JSON.stringify(spec)}`, () => {
      assert.equal(new EnvFilter(spec, { onWarning: () => {} }).callsiteEnabled(m), interest);
    });
  }

  const HINT: [spec: string, hint: number][] = [
    ["info", LevelFilter.INFO],
    ["info,hello=debug", LevelFilter.DEBUG],
    ["warn,[span]=debug", LevelFilter.DEBUG],
    ["info,[{hello=4}]=warn", LevelFilter.TRACE],
    ["off", LevelFilter.OFF],
  ];
  for (const [spec, hint] of HINT) {
    test(`max_level_hint: ${JSON.stringify(spec)} (value filters hint TRACE)`, () => {
      assert.equal(new EnvFilter(spec).maxLevelHint(), hint);
    });
  }

  test("roundtrip: Display then parse gives the same directives", () => {
    const f1 = new EnvFilter(
      '[span1{foo=1}]=error,[span2{bar=2 baz=false}],crate2[{quux="quuux"}]=debug',
    );
    const shown = f1.toString();
    assert.equal(
      shown,
      // Upstream's Match::parse keeps the value up to a second '=': "bar=2 baz".
      'crate2[{quux="quuux"}]=debug,[span2{bar=2 baz}]=trace,[span1{foo=1}]=error',
    );
    assert.equal(new EnvFilter(shown).toString(), shown);
  });

  test("add_directive_enables_event", async () => {
    const cap = capture();
    const filter = new EnvFilter("info");
    filter.addDirective("hello=trace");
    await withSubscriber(registry().with(filter).with(cap), () => {
      helpers.ev(TRACE, "hello trace", {}, "hello");
      helpers.ev(TRACE, "other trace");
    });
    assert.deepEqual(cap.seen, ["hello trace"]);
    assert.throws(() => filter.addDirective("hello=loud"), /PERISCOPE_BAD_DIRECTIVE/);
  });

  test("multiple_dynamic_filters: each per-layer filter scopes only its own layer", async () => {
    const one = capture();
    const two = capture();
    const reg = registry()
      .with(one, new EnvFilter("[span1]=debug"))
      .with(two, new EnvFilter("[span2]=info"));
    await withSubscriber(reg, () => {
      helpers.span(INFO, "span1").inScope(() => {
        helpers.ev(DEBUG, "hello from span 1");
        helpers.ev(TRACE, "not enabled");
      });
      helpers.span(INFO, "span2").inScope(() => {
        helpers.ev(INFO, "hello from span 2");
        helpers.ev(DEBUG, "not enabled");
      });
    });
    assert.deepEqual(one.seen, ["span:span1", "hello from span 1"]);
    assert.deepEqual(two.seen, ["span:span2", "hello from span 2"]);
  });
});
