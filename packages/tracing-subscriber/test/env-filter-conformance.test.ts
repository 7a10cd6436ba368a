// EnvFilter conformance: cases taken from tracing-subscriber 0.3's own tests and docs
// (filter/env/directive.rs, tests/env_filter, tests/field_filter), one table, each case run
// with the filter used globally and as a per-layer filter, as upstream's suite does.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import {
  type Callsite,
  callsite,
  type EventRecord,
  type Fields,
  Interest,
  Level,
  LevelFilter,
  logger,
  type Span,
  withSubscriber,
} from "@periscope/tracing";
import { EnvFilter, type Layer, parseDirectives, registry } from "@periscope/tracing-subscriber";
import { directiveSet } from "../src/directive.ts";

const L = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"];

// ---- parsing: spec -> "target|span|fields|LEVEL" per directive, in the order written ----

const PARSE: [from: string, spec: string, parsed: string[]][] = [
  ["parse_directives_ralith", "common=trace,server=trace", ["common|||TRACE", "server|||TRACE"]],
  ["parse_directives_ralith_uc", "common=INFO,server=DEBUG", ["common|||INFO", "server|||DEBUG"]],
  [
    "parse_directives_ralith_mixed",
    "common=iNfo,server=dEbUg",
    ["common|||INFO", "server|||DEBUG"],
  ],
  [
    "parse_directives_valid",
    "crate1::mod1=error,crate1::mod2,crate2=debug,crate3=off",
    ["crate1::mod1|||ERROR", "crate1::mod2|||TRACE", "crate2|||DEBUG", "crate3|||OFF"],
  ],
  [
    "parse_level_directives",
    "crate1::mod1=error,crate1::mod2=warn,crate1::mod2::mod3=info,crate2=debug,crate3=trace,crate3::mod2::mod1=off",
    [
      "crate1::mod1|||ERROR",
      "crate1::mod2|||WARN",
      "crate1::mod2::mod3|||INFO",
      "crate2|||DEBUG",
      "crate3|||TRACE",
      "crate3::mod2::mod1|||OFF",
    ],
  ],
  [
    "parse_uppercase_level_directives",
    "crate1::mod1=ERROR,crate1::mod2=WARN,crate1::mod2::mod3=INFO,crate2=DEBUG,crate3=TRACE,crate3::mod2::mod1=OFF",
    [
      "crate1::mod1|||ERROR",
      "crate1::mod2|||WARN",
      "crate1::mod2::mod3|||INFO",
      "crate2|||DEBUG",
      "crate3|||TRACE",
      "crate3::mod2::mod1|||OFF",
    ],
  ],
  [
    "parse_numeric_level_directives",
    "crate1::mod1=1,crate1::mod2=2,crate1::mod2::mod3=3,crate2=4,crate3=5,crate3::mod2::mod1=0",
    [
      "crate1::mod1|||ERROR",
      "crate1::mod2|||WARN",
      "crate1::mod2::mod3|||INFO",
      "crate2|||DEBUG",
      "crate3|||TRACE",
      "crate3::mod2::mod1|||OFF",
    ],
  ],
  ["parse_directives_invalid_crate", "crate1::mod1=warn=info,crate2=debug", ["crate2|||DEBUG"]],
  ["parse_directives_invalid_level", "crate1::mod1=noNumber,crate2=debug", ["crate2|||DEBUG"]],
  ["parse_directives_string_level", "crate1::mod1=wrong,crate2=warn", ["crate2|||WARN"]],
  ["parse_directives_empty_level", "crate1::mod1=wrong,crate2=", ["crate2|||TRACE"]],
  ["parse_directives_global", "warn,crate2=debug", ["|||WARN", "crate2|||DEBUG"]],
  ["parse_directives_global_bare_warn_lc", "warn", ["|||WARN"]],
  ["parse_directives_global_bare_warn_uc", "WARN", ["|||WARN"]],
  ["parse_directives_global_bare_warn_mixed", "wArN", ["|||WARN"]],
  [
    "parse_directives_valid_with_spans",
    "crate1::mod1[foo]=error,crate1::mod2[bar],crate2[baz]=debug",
    ["crate1::mod1|foo||ERROR", "crate1::mod2|bar||TRACE", "crate2|baz||DEBUG"],
  ],
  ["parse_directives_with_dash_in_target_name", "target-name=info", ["target-name|||INFO"]],
  ["parse_directives_with_dash_in_span_name", "target[span-name]=info", ["target|span-name||INFO"]],
  [
    "parse_directives_with_special_characters_in_span_name",
    "target[!\"#$%&'()*+-./:;<=>?@^_`|~[}]=info",
    ["target|!\"#$%&'()*+-./:;<=>?@^_`|~[}||INFO"],
  ],
  ["parse_directives_with_invalid_span_chars", "target[]{]=info", []],
  ["parse_invalid_string", ",!", []],
  ["docs: `warning` is not a level, so it is a target", "warning", ["warning|||TRACE"]],
  ["docs: a typo in the level invalidates the directive", "mini_redis=verbose", []],
  ["docs: numbers are levels", "3", ["|||INFO"]],
  ["docs: OFF in any case", "Off", ["|||OFF"]],
  ["field_filter_events", "[{thing}]=debug", ["||thing|DEBUG"]],
  ["same_name_spans", "[foo{bar}]=trace,[foo{baz}]=trace", ["|foo|bar|TRACE", "|foo|baz|TRACE"]],
  ["docs: field values", '[span_b{name="bob"}]', ['|span_b|name=pattern:"bob"|TRACE']],
  ["docs: regex field value", "[req{path=/api/.*}]=debug", ["|req|path=pattern:/api/.*|DEBUG"]],
  ["ValueMatch: bool", "[{x=true}]", ["||x=bool:true|TRACE"]],
  ["ValueMatch: u64", "[{x=42}]", ["||x=int:42|TRACE"]],
  ["ValueMatch: i64", "[{x=-42}]", ["||x=int:-42|TRACE"]],
  ["ValueMatch: f64", "[{x=1.5}]", ["||x=f64:1.5|TRACE"]],
  ["ValueMatch: NaN", "[{x=NaN}]", ["||x=nan:NaN|TRACE"]],
  ["ValueMatch: an invalid regex invalidates the directive", "[{x=(}]", []],
  ["Match::parse: a second '=' ends the value", "[{x=a=b}]", ["||x=pattern:a|TRACE"]],
  ["several fields in one directive", "t[s{a=1,b}]=info", ["t|s|a=int:1,b|INFO"]],
  ["empty span brackets name the empty span", "t[]=info", ["t|[]||INFO"]],
  ["fields without a span name", "[{a}]", ["||a|TRACE"]],
  ["the first character must be a word character or '['", "/path=info,@x,*", []],
  ["whitespace around directives is ignored", " info , foo=debug ", ["|||INFO", "foo|||DEBUG"]],
];

function summary(spec: string): string[] {
  return parseDirectives(spec).directives.map((d) => {
    const fields = d.fields
      .map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value.kind}:${f.value.text}`))
      .join(",");
    const span = d.span === undefined ? "" : d.span === "" ? "[]" : d.span;
    return `${d.target ?? ""}|${span}|${fields}|${L[d.level]}`;
  });
}

describe("EnvFilter conformance: parsing", () => {
  for (const [from, spec, parsed] of PARSE) {
    test(`${from}: ${JSON.stringify(spec)}`, () => {
      assert.deepEqual(summary(spec), parsed);
    });
  }

  const ORDER: [from: string, spec: string, order: string[]][] = [
    [
      "directive_ordering_by_target_len",
      "foo::bar=debug,foo::bar::baz=trace,foo=info,a_really_long_name_with_no_colons=warn",
      ["a_really_long_name_with_no_colons", "foo::bar::baz", "foo::bar", "foo"],
    ],
    [
      "directive_ordering_by_span",
      "bar[span]=trace,foo=debug,baz::quux=info,a[span]=warn",
      ["baz::quux", "bar[span]", "foo", "a[span]"],
    ],
    [
      "directive_ordering_uses_lexicographic_when_equal",
      "span[b]=debug,b=debug,a=trace,c=info,span[a]=info",
      ["span[b]", "span[a]", "c", "b", "a"],
    ],
  ];
  for (const [from, spec, order] of ORDER) {
    test(`${from}: most specific first`, () => {
      const sorted = directiveSet(parseDirectives(spec).directives);
      assert.deepEqual(
        sorted.map((d) => (d.span === undefined ? d.target : `${d.target}[${d.span}]`)),
        order,
      );
    });
  }
});

// ---- behaviour: what a capture layer sees ----

interface H {
  ev(level: Level, message: string, fields?: Fields, target?: string): void;
  span(level: Level, name: string, fields?: Fields, target?: string): Span;
}

type Case = [from: string, spec: string, run: (h: H) => void | Promise<void>, seen: string[]];

const { TRACE, DEBUG, INFO, WARN, ERROR } = Level;
const T = "app";

function levels(h: H, target = T): void {
  h.ev(TRACE, `${target}:t`, {}, target);
  h.ev(DEBUG, `${target}:d`, {}, target);
  h.ev(INFO, `${target}:i`, {}, target);
  h.ev(WARN, `${target}:w`, {}, target);
  h.ev(ERROR, `${target}:e`, {}, target);
}

const CASES: Case[] = [
  ["level_filter_event", "info", (h) => levels(h), ["app:i", "app:w", "app:e"]],
  [
    "level_filter_event_with_target",
    "info,stuff=debug",
    (h) => {
      levels(h);
      levels(h, "stuff");
    },
    ["app:i", "app:w", "app:e", "stuff:d", "stuff:i", "stuff:w", "stuff:e"],
  ],
  [
    "not_order_dependent",
    "stuff=debug,info",
    (h) => {
      levels(h);
      levels(h, "stuff");
    },
    ["app:i", "app:w", "app:e", "stuff:d", "stuff:i", "stuff:w", "stuff:e"],
  ],
  [
    "level_filter_event_with_target_and_span",
    "stuff[cool_span]=debug",
    (h) => {
      const cool = h.span(INFO, "cool_span", {}, "stuff");
      cool.inScope(() => {
        h.ev(DEBUG, "in cool", {}, "other");
        h.ev(TRACE, "too verbose", {}, "other");
      });
      h.ev(ERROR, "outside");
      const notStuff = h.span(INFO, "cool_span", {}, "elsewhere");
      notStuff.inScope(() => h.ev(DEBUG, "in elsewhere's cool_span"));
    },
    ["span:cool_span", "in cool"],
  ],
  [
    "span_name_filter_is_dynamic",
    "info,[cool_span]=debug",
    (h) => {
      h.ev(TRACE, "this should be disabled");
      h.ev(INFO, "this shouldn't be");
      const cool = h.span(INFO, "cool_span");
      const uncool = h.span(INFO, "uncool_span");
      cool.inScope(() => {
        h.ev(DEBUG, "i'm a cool event");
        h.ev(TRACE, "i'm cool, but not cool enough");
        uncool.inScope(() => {
          h.ev(WARN, "warning: extremely cool!");
          h.ev(DEBUG, "i'm still cool");
        });
      });
      uncool.inScope(() => {
        h.ev(WARN, "warning: not that cool");
        h.ev(TRACE, "im not cool enough");
        h.ev(ERROR, "uncool error");
      });
    },
    [
      "this shouldn't be",
      "span:cool_span",
      "span:uncool_span",
      "i'm a cool event",
      "warning: extremely cool!",
      "i'm still cool",
      "warning: not that cool",
      "uncool error",
    ],
  ],
  [
    "span_name_filter_is_dynamic, across await (the span made outside, entered inside)",
    "info,[cool_span]=debug",
    async (h) => {
      const uncool = h.span(INFO, "uncool_span");
      const cool = h.span(INFO, "cool_span");
      await cool.inScope(async () => {
        await tick();
        await uncool.inScope(async () => {
          await tick();
          h.ev(DEBUG, "still cool after await");
        });
      });
      await uncool.inScope(async () => {
        await tick();
        h.ev(DEBUG, "not cool");
      });
    },
    ["span:uncool_span", "span:cool_span", "still cool after await"],
  ],
  ["new_invalid_string (all invalid: the default, error)", ",!", (h) => levels(h), ["app:e"]],
  ["new_empty_string", "", (h) => levels(h), ["app:e"]],
  [
    "issue: a typo silences nothing (mini_redis=verbose)",
    "mini_redis=verbose",
    (h) => levels(h, "mini_redis"),
    ["mini_redis:e"],
  ],
  [
    "more_specific_static_filter_more_verbose",
    "info,hello=debug",
    (h) => {
      h.ev(INFO, "should be enabled");
      h.ev(DEBUG, "should be disabled");
      h.ev(DEBUG, "hello should be enabled", {}, "hello");
    },
    ["should be enabled", "hello should be enabled"],
  ],
  [
    "more_specific_static_filter_less_verbose",
    "info,hello=warn",
    (h) => {
      h.ev(INFO, "should be enabled");
      h.ev(WARN, "should be enabled too");
      h.ev(INFO, "should be disabled", {}, "hello");
    },
    ["should be enabled", "should be enabled too"],
  ],
  [
    "more_specific_dynamic_filter_more_verbose",
    "info,[{hello=4}]=debug",
    (h) => {
      h.span(INFO, "enabled info").close();
      h.span(DEBUG, "disabled debug").close();
      h.span(DEBUG, "enabled debug", { hello: 4 }).close();
      h.ev(INFO, "marker");
    },
    ["span:enabled info", "span:enabled debug", "marker"],
  ],
  [
    "same_name_spans",
    "[foo{bar}]=trace,[foo{baz}]=trace",
    (h) => {
      h.span(TRACE, "foo", { bar: 1 }).close();
      h.span(TRACE, "foo", { baz: 1 }).close();
      h.span(TRACE, "foo", { qux: 1 }).close();
    },
    ["span:foo", "span:foo"],
  ],
  [
    "field_filter_events",
    "[{thing}]=debug",
    (h) => {
      h.ev(TRACE, "disabled", { disabled: true });
      h.ev(INFO, "also disabled");
      h.ev(INFO, "thing 1", { thing: 1 });
      h.ev(DEBUG, "thing 2", { thing: 2 });
      h.ev(TRACE, "thing 3", { thing: 3 });
    },
    ["thing 1", "thing 2"],
  ],
  [
    "field_filter_spans",
    "[{enabled=true}]=debug",
    (h) => {
      h.ev(TRACE, "disabled");
      h.ev(INFO, "also disabled");
      h.span(INFO, "span1", { enabled: true }).inScope(() =>
        h.ev(INFO, "something 1", { something: 1 }),
      );
      h.span(DEBUG, "span2", { enabled: false, foo: "hi" }).inScope(() =>
        h.ev(WARN, "something 2", { something: 2 }),
      );
      h.span(TRACE, "span3", { enabled: true, answer: 42 }).inScope(() =>
        h.ev(DEBUG, "something 3", { something: 2 }),
      );
    },
    ["span:span1", "something 1", "span:span2", "span:span3", "something 3"],
  ],
  [
    "record_after_created",
    "[{enabled=true}]=debug",
    (h) => {
      const span = h.span(INFO, "span", { enabled: false });
      span.inScope(() => h.ev(DEBUG, "i'm disabled!"));
      span.record("enabled", true);
      span.inScope(() => h.ev(DEBUG, "i'm enabled!"));
      h.ev(DEBUG, "i'm also disabled");
    },
    ["span:span", "i'm enabled!"],
  ],
  [
    "SpanMatch: a field once matched stays matched",
    "[{enabled=true}]=debug",
    (h) => {
      const span = h.span(INFO, "span", { enabled: true });
      span.record("enabled", false);
      span.inScope(() => h.ev(DEBUG, "still enabled"));
    },
    ["span:span", "still enabled"],
  ],
  [
    "issue: repeated directives, the later wins (info,warn)",
    "info,warn",
    (h) => levels(h),
    ["app:w", "app:e"],
  ],
  [
    "issue: repeated directives, the later wins (foo=debug,foo=warn)",
    "foo=debug,foo=warn",
    (h) => levels(h, "foo"),
    ["foo:w", "foo:e"],
  ],
  [
    "issue: field values are regexes, matched whole",
    "[req{path=/api/.*}]=debug",
    (h) => {
      h.span(INFO, "req", { path: "/api/users" }).inScope(() => h.ev(DEBUG, "api"));
      h.span(INFO, "req", { path: "/health" }).inScope(() => h.ev(DEBUG, "health"));
      h.span(INFO, "req", { path: "/v1/api/x" }).inScope(() => h.ev(DEBUG, "not anchored"));
    },
    ["span:req", "api", "span:req", "span:req"],
  ],
  [
    "issue: a TRACE span with a value filter is made, and enables inside it",
    "[req{path=/api/.*}]=trace",
    (h) => {
      h.span(TRACE, "req", { path: "/api/x" }).inScope(() => h.ev(TRACE, "deep"));
    },
    ["span:req", "deep"],
  ],
  [
    "issue: several matching field directives, the most verbose wins",
    "[req{a=1}]=info,[req{b=2}]=trace",
    (h) => {
      h.span(INFO, "req", { a: 1, b: 2 }).inScope(() => h.ev(TRACE, "trace inside"));
      h.span(INFO, "req", { a: 1, b: 3 }).inScope(() => {
        h.ev(TRACE, "no trace");
        h.ev(INFO, "info inside");
      });
    },
    ["span:req", "trace inside", "span:req", "info inside"],
  ],
  [
    "issue: a field-name-only directive filters events by field, spans by level, and scopes",
    "[{user}]=debug",
    (h) => {
      h.ev(DEBUG, "debug with user", { user: "ann" });
      h.ev(DEBUG, "debug without user");
      h.ev(TRACE, "trace with user", { user: "ann" });
      h.span(DEBUG, "any span").close();
      h.span(TRACE, "trace span").close();
      h.span(INFO, "login", { user: "bob" }).inScope(() => h.ev(DEBUG, "inside a user span"));
    },
    ["debug with user", "span:any span", "span:login", "inside a user span"],
  ],
  [
    "issue: `crate2=` is trace",
    "crate2=",
    (h) => levels(h, "crate2"),
    ["crate2:t", "crate2:d", "crate2:i", "crate2:w", "crate2:e"],
  ],
  [
    "issue: `warning` is a target",
    "warning",
    (h) => {
      levels(h, "warning::x");
      h.ev(ERROR, "app error");
    },
    ["warning::x:t", "warning::x:d", "warning::x:i", "warning::x:w", "warning::x:e"],
  ],
  [
    "issue: special characters in span names",
    "[GET /users/:id?x=1&y=<2>]=debug",
    (h) => {
      h.span(INFO, "GET /users/:id?x=1&y=<2>").inScope(() => h.ev(DEBUG, "inside"));
    },
    ["span:GET /users/:id?x=1&y=<2>", "inside"],
  ],
  [
    "docs: `tokio::net=info` covers tokio::net::tcp, not tokio",
    "tokio::net=info",
    (h) => {
      h.ev(INFO, "tcp", {}, "tokio::net::tcp");
      h.ev(DEBUG, "tcp debug", {}, "tokio::net::tcp");
      h.ev(ERROR, "tokio", {}, "tokio");
    },
    ["tcp"],
  ],
  [
    "docs: a target is a plain prefix (`foo` covers `foobar`)",
    "foo=info",
    (h) => h.ev(INFO, "foobar", {}, "foobar"),
    ["foobar"],
  ],
  ["docs: off silences a target", "info,my_crate=off", (h) => levels(h, "my_crate"), []],
  [
    "docs: numeric values match integers, booleans match exactly",
    "[s{n=5}]=debug,[t{ok=true}]=debug,[u{x=-3}]=debug",
    (h) => {
      h.span(INFO, "s", { n: 5 }).inScope(() => h.ev(DEBUG, "n=5"));
      h.span(INFO, "s", { n: 6 }).inScope(() => h.ev(DEBUG, "n=6"));
      h.span(INFO, "s", { n: 5n }).inScope(() => h.ev(DEBUG, "n=5n"));
      h.span(INFO, "t", { ok: true }).inScope(() => h.ev(DEBUG, "ok"));
      h.span(INFO, "t", { ok: "true" }).inScope(() => h.ev(DEBUG, "ok as text"));
      h.span(INFO, "u", { x: -3 }).inScope(() => h.ev(DEBUG, "x=-3"));
    },
    ["span:s", "n=5", "span:s", "span:s", "n=5n", "span:t", "ok", "span:t", "span:u", "x=-3"],
  ],
  [
    "docs: a quoted value matches the string's Debug form",
    '[span_b{name="bob"}]',
    (h) => {
      h.span(INFO, "span_b", { name: "bob" }).inScope(() => h.ev(TRACE, "bob"));
      h.span(INFO, "span_b", { name: "alice" }).inScope(() => h.ev(TRACE, "alice"));
    },
    ["span:span_b", "bob", "span:span_b"],
  ],
  [
    "same_length_targets",
    "foo=trace,bar=trace",
    (h) => {
      h.ev(TRACE, "foo", {}, "foo");
      h.ev(TRACE, "bar", {}, "bar");
    },
    ["foo", "bar"],
  ],
  [
    "same_num_fields_event",
    "[{foo}]=trace,[{bar}]=trace",
    (h) => {
      h.ev(TRACE, "with foo", { foo: 1 });
      h.ev(TRACE, "with bar", { bar: 3 });
      h.ev(TRACE, "with neither", { baz: 3 });
    },
    ["with foo", "with bar"],
  ],
  [
    "same_num_fields_and_name_len",
    "[foo{bar=1}]=trace,[baz{boz=1}]=trace",
    (h) => {
      h.span(TRACE, "foo", { bar: 1 }).close();
      h.span(TRACE, "baz", { boz: 1 }).close();
    },
    ["span:foo", "span:baz"],
  ],
  [
    "docs: `my_crate[span_a]=trace` also enables spans named span_a",
    "my_crate[span_a]=trace",
    (h) => {
      h.span(TRACE, "span_a", {}, "my_crate::db").close();
      h.span(TRACE, "span_b", {}, "my_crate::db").close();
    },
    ["span:span_a"],
  ],
  [
    "events with an explicit parent follow the entered scope, not the parent",
    "[cool]=debug",
    (h) => {
      const cool = h.span(INFO, "cool");
      logger(T).event(DEBUG, "explicit parent, not entered", {}, { parent: cool });
      cool.inScope(() => h.ev(DEBUG, "entered"));
    },
    ["span:cool", "entered"],
  ],
];

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
