// EnvFilter semantics, checked against the examples in tracing-subscriber's EnvFilter docs,
// plus parsing, warnings, interest caching, global vs per-layer use and reload.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  callsite,
  type EventRecord,
  Interest,
  Level,
  LevelFilter,
  logger,
  setGlobalDefault,
  withSubscriber,
} from "@periscope/tracing";
import {
  EnvFilter,
  envFilter,
  type Layer,
  parseDirectives,
  registry,
} from "@periscope/tracing-subscriber";

/** A layer that keeps "target:LEVEL:message" for every event it sees. */
function capture(): Layer & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    onEvent(e: EventRecord) {
      seen.push(
        `${e.metadata.target}:${["TRACE", "DEBUG", "INFO", "WARN", "ERROR"][e.metadata.level]}:${e.message}`,
      );
    },
  };
}

const quiet = { onWarning: () => {} };

/** Emits one event per level on a target; returns which got through the filter. */
function through(spec: string, target: string): string[] {
  const cap = capture();
  withSubscriber(registry().with(cap, new EnvFilter(spec, quiet)), () => {
    const l = logger(target);
    l.trace("t");
    l.debug("d");
    l.info("i");
    l.warn("w");
    l.error("e");
  });
  return cap.seen.map((s) => s.split(":").at(-1) as string);
}

test("`tokio::net=info` enables the tokio::net target (and its children) at info and above", () => {
  assert.deepEqual(through("tokio::net=info", "tokio::net"), ["i", "w", "e"]);
  assert.deepEqual(through("tokio::net=info", "tokio::net::tcp"), ["i", "w", "e"]);
  assert.deepEqual(through("tokio::net=info", "hyper"), []);
});

test("`warn,tokio::net=info`: warn and above everywhere, info and above for tokio::net", () => {
  assert.deepEqual(through("warn,tokio::net=info", "hyper"), ["w", "e"]);
  assert.deepEqual(through("warn,tokio::net=info", "tokio::net"), ["i", "w", "e"]);
});

test("a bare level is the default, a bare target means every level, off silences", () => {
  assert.deepEqual(through("debug", "anything"), ["d", "i", "w", "e"]);
  assert.deepEqual(through("my_crate", "my_crate::db"), ["t", "d", "i", "w", "e"]);
  assert.deepEqual(through("info,my_crate=off", "my_crate"), []);
  assert.deepEqual(through("off", "x"), []);
  assert.deepEqual(through("", "x"), ["e"], "no directive: the default, error");
  assert.deepEqual(through("3", "x"), ["i", "w", "e"], "numeric levels as tracing (3 = info)");
});

test("the most specific directive wins, whatever the order", () => {
  assert.deepEqual(through("a::b=error,a=trace", "a::b::c"), ["e"]);
  assert.deepEqual(through("a=trace,a::b=error", "a::b::c"), ["e"]);
  assert.deepEqual(through("a=trace,a::b=error", "a::x"), ["t", "d", "i", "w", "e"]);
});

test("`my_crate[span_a]=trace`: everything inside span_a (of target my_crate) at trace", () => {
  const cap = capture();
  withSubscriber(registry().with(cap, new EnvFilter("warn,my_crate[span_a]=trace", quiet)), () => {
    const mine = logger("my_crate::mod");
    const other = logger("other");
    other.debug("outside");
    const a = mine.infoSpan("span_a");
    a.inScope(() => {
      other.trace("inside-other-target");
      const inner = other.traceSpan("inner");
      inner.inScope(() => other.debug("nested"));
      inner.close();
    });
    a.close();
    const b = other.infoSpan("span_a");
    b.inScope(() => other.debug("span_a-of-other-target"));
    b.close();
    other.warn("still-warn");
  });
  assert.deepEqual(cap.seen, [
    "other:TRACE:inside-other-target",
    "other:DEBUG:nested",
    "other:WARN:still-warn",
  ]);
});

test('`[span_b{name="bob"}]`: any target, inside span_b whose field name is "bob", any level', () => {
  const cap = capture();
  withSubscriber(registry().with(cap, new EnvFilter('[span_b{name="bob"}]', quiet)), () => {
    const l = logger("t");
    for (const name of ["bob", "alice"]) {
      const s = l.infoSpan("span_b", { name });
      s.inScope(() => l.trace(`in-${name}`));
      s.close();
    }
    const later = l.infoSpan("span_b", { name: undefined });
    later.record("name", "bob");
    later.inScope(() => l.trace("recorded-later"));
    later.close();
    l.error("outside");
  });
  assert.deepEqual(cap.seen, ["t:TRACE:in-bob", "t:TRACE:recorded-later"]);
});

test("field values: numbers and booleans match exactly; a field name alone matches callsites declaring it", () => {
  const cap = capture();
  withSubscriber(
    registry().with(cap, new EnvFilter("[conn{id=7}]=debug,[{ok=true}]=info,[{user}]=warn", quiet)),
    () => {
      const l = logger("f");
      for (const id of [7, 8, 7n]) {
        const s = l.infoSpan("conn", { id });
        s.inScope(() => l.debug(`id-${id}`));
        s.close();
      }
      const ok = l.infoSpan("req", { ok: true });
      ok.inScope(() => l.info("ok-true"));
      ok.close();
      const declared = callsite({
        kind: "event",
        level: Level.WARN,
        target: "f",
        name: "ev",
        fields: ["user"],
      });
      declared.event({ user: "x" }, "has-user-field");
    },
  );
  assert.deepEqual(cap.seen, [
    "f:DEBUG:id-7",
    "f:DEBUG:id-7",
    "f:INFO:ok-true",
    "f:WARN:has-user-field",
  ]);
});

test("a bad directive prints one warning naming it; the others still apply", () => {
  const warnings: string[] = [];
  const f = new EnvFilter("info,foo=loud,[unclosed,bar=debug", {
    onWarning: (w) => warnings.push(w),
  });
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.match(warnings[0] as string, /"foo=loud".*PERISCOPE_BAD_DIRECTIVE/);
  assert.match(warnings[1] as string, /"\[unclosed"/);
  assert.equal(f.maxLevelHint(), LevelFilter.DEBUG);
  const { directives, errors } = parseDirectives('a=warn,b[s{x=1,y="two"}]=trace,=info');
  assert.equal(directives.length, 2);
  assert.deepEqual(
    directives[1]?.fields.map((f) => [f.name, f.value?.kind, f.value?.text]),
    [
      ["x", "int", "1"],
      ["y", "pattern", '"two"'],
    ],
  );
  assert.equal(errors.length, 1);
});

test("PERISCOPE_LOG is read from the environment, with tracing-subscriber's default of error", () => {
  assert.equal(
    EnvFilter.fromEnv({ environment: { PERISCOPE_LOG: "mini_redis=debug" } }).directives,
    "mini_redis=debug",
  );
  assert.equal(EnvFilter.fromEnv({ environment: {} }).directives, "error");
  assert.equal(
    envFilter(undefined, { environment: { MY_LOG: "warn" }, env: "MY_LOG" }).directives,
    "warn",
  );
});

test("static directives decide interest once (ALWAYS/NEVER); span directives make events SOMETIMES", () => {
  const prev = setGlobalDefault(
    registry().with(new EnvFilter("info,noisy=off", quiet)).with(capture()),
  );
  try {
    const info = callsite({ kind: "event", level: Level.INFO, target: "x", name: "a" });
    const noisy = callsite({ kind: "event", level: Level.ERROR, target: "noisy", name: "b" });
    const debug = callsite({ kind: "event", level: Level.DEBUG, target: "x", name: "c" });
    assert.equal(info.interest, Interest.ALWAYS);
    assert.equal(noisy.interest, Interest.NEVER);
    assert.equal(debug.interest, Interest.NEVER);
    setGlobalDefault(registry().with(new EnvFilter("info,app[req]=trace", quiet)).with(capture()));
    const reqSpan = callsite({ kind: "span", level: Level.TRACE, target: "app", name: "req" });
    assert.equal(info.interest, Interest.ALWAYS);
    assert.equal(debug.interest, Interest.SOMETIMES, "could be enabled inside app[req]");
    assert.equal(
      reqSpan.interest,
      Interest.ALWAYS,
      "spans a dynamic directive matches always exist",
    );
  } finally {
    setGlobalDefault(prev);
  }
});

test("used globally it hides events from every layer; per layer only from its own", () => {
  const a = capture();
  const b = capture();
  withSubscriber(registry().with(new EnvFilter("warn", quiet)).with(a).with(b), () => {
    logger("g").info("no");
    logger("g").warn("yes");
  });
  assert.deepEqual([a.seen, b.seen], [["g:WARN:yes"], ["g:WARN:yes"]]);
  const c = capture();
  const d = capture();
  withSubscriber(registry().with(c, new EnvFilter("warn", quiet)).with(d), () => {
    logger("g").info("no");
    logger("g").warn("yes");
  });
  assert.deepEqual([c.seen, d.seen], [["g:WARN:yes"], ["g:INFO:no", "g:WARN:yes"]]);
});

test("reload swaps directives and rebuilds interest; the max-level hint follows", () => {
  const cap = capture();
  const f = new EnvFilter("warn", quiet);
  const prev = setGlobalDefault(registry().with(cap, f));
  try {
    const l = logger("reload");
    l.info("before");
    assert.equal(l.enabled(Level.INFO), false);
    const handle = f.reloadHandle();
    handle.reload("reload=info");
    assert.equal(handle.current(), "reload=info");
    l.info("after");
    l.debug("still-off");
  } finally {
    setGlobalDefault(prev);
  }
  assert.deepEqual(cap.seen, ["reload:INFO:after"]);
});
