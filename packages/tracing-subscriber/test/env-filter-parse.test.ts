// EnvFilter conformance, parsing: directive strings from tracing-subscriber 0.3's own tests and
// docs (filter/env/directive.rs), each parsed and summarised, plus directive ordering.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDirectives } from "@periscope/tracing-subscriber";
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
