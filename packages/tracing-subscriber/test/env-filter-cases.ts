// The EnvFilter behaviour cases, from tracing-subscriber 0.3's tests (tests/env_filter,
// tests/field_filter): a filter spec, what a program does, and what a capture layer must see.
import { setImmediate as tick } from "node:timers/promises";
import { type Fields, Level, logger, type Span } from "@periscope/tracing";

export interface H {
  ev(level: Level, message: string, fields?: Fields, target?: string): void;
  span(level: Level, name: string, fields?: Fields, target?: string): Span;
}

export type Case = [
  from: string,
  spec: string,
  run: (h: H) => void | Promise<void>,
  seen: string[],
];

const { TRACE, DEBUG, INFO, WARN, ERROR } = Level;
export const T = "app";

function levels(h: H, target = T): void {
  h.ev(TRACE, `${target}:t`, {}, target);
  h.ev(DEBUG, `${target}:d`, {}, target);
  h.ev(INFO, `${target}:i`, {}, target);
  h.ev(WARN, `${target}:w`, {}, target);
  h.ev(ERROR, `${target}:e`, {}, target);
}

export const CASES: Case[] = [
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
