// The fmt layer's exact output in each format (clock injected), colours, writers, EPIPE, and
// safe rendering of hostile field values.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Level, logger, withSubscriber } from "@periscope/tracing";
import {
  envFilter,
  type FmtFormat,
  type FmtOptions,
  fmtLayer,
  registry,
} from "@periscope/tracing-subscriber";

const T = Date.UTC(2026, 1, 15, 18, 40, 14) + 289.898; // 2026-02-15T18:40:14.289898Z

/** Runs the yak-shaving scenario of tracing-subscriber's fmt docs and returns what was written. */
function yaks(format: FmtFormat, extra: FmtOptions = {}): string {
  let out = "";
  const layer = fmtLayer({
    format,
    writer: (s) => (out += s),
    clock: () => T,
    ansi: false,
    ...extra,
  });
  withSubscriber(registry().with(layer, envFilter("trace")), () => {
    const log = logger("fmt");
    const yak = logger("fmt::yak_shave");
    log.info("preparing to shave yaks", { number_of_yaks: 3 });
    const outer = yak.infoSpan("shaving_yaks", { yaks: 3 });
    outer.inScope(() => {
      yak.info("shaving yaks");
      const shave = yak.traceSpan("shave", { yak: 1 });
      shave.inScope(() => yak.trace("hello! I'm gonna shave a yak", { excitement: "yay!" }));
      shave.close();
    });
    outer.close();
  });
  return out;
}

test("full: timestamp, level, span chain with fields, target, message, fields", () => {
  assert.equal(
    yaks("full"),
    [
      "2026-02-15T18:40:14.289898Z  INFO fmt: preparing to shave yaks number_of_yaks=3",
      "2026-02-15T18:40:14.289898Z  INFO shaving_yaks{yaks=3}: fmt::yak_shave: shaving yaks",
      '2026-02-15T18:40:14.289898Z TRACE shaving_yaks{yaks=3}:shave{yak=1}: fmt::yak_shave: hello! I\'m gonna shave a yak excitement="yay!"',
      "",
    ].join("\n"),
  );
});

test("compact: span names only, span fields after the event's", () => {
  assert.equal(
    yaks("compact"),
    [
      "2026-02-15T18:40:14.289898Z  INFO fmt: preparing to shave yaks number_of_yaks=3",
      "2026-02-15T18:40:14.289898Z  INFO shaving_yaks: fmt::yak_shave: shaving yaks yaks=3",
      '2026-02-15T18:40:14.289898Z TRACE shaving_yaks:shave: fmt::yak_shave: hello! I\'m gonna shave a yak excitement="yay!" yaks=3 yak=1',
      "",
    ].join("\n"),
  );
});

test("pretty: indented blocks, `at file:line` (a Logger event's caller), `in target::span with fields` from leaf to root", () => {
  assert.equal(
    yaks("pretty"),
    [
      "  2026-02-15T18:40:14.289898Z  INFO fmt: preparing to shave yaks, number_of_yaks: 3",
      "    at packages/tracing-subscriber/test/fmt.test.ts:33",
      "",
      "  2026-02-15T18:40:14.289898Z  INFO fmt::yak_shave: shaving yaks",
      "    at packages/tracing-subscriber/test/fmt.test.ts:36",
      "    in fmt::yak_shave::shaving_yaks with yaks: 3",
      "",
      '  2026-02-15T18:40:14.289898Z TRACE fmt::yak_shave: hello! I\'m gonna shave a yak, excitement: "yay!"',
      "    at packages/tracing-subscriber/test/fmt.test.ts:38",
      "    in fmt::yak_shave::shave with yak: 1",
      "    in fmt::yak_shave::shaving_yaks with yaks: 3",
      "",
      "",
    ].join("\n"),
  );
});

test("json: tracing-subscriber's shape (fields with message, target, current span, span list)", () => {
  const lines = yaks("json").trimEnd().split("\n");
  assert.equal(
    lines[0],
    '{"timestamp":"2026-02-15T18:40:14.289898Z","level":"INFO","fields":{"message":"preparing to shave yaks","number_of_yaks":3},"target":"fmt"}',
  );
  assert.equal(
    lines[2],
    '{"timestamp":"2026-02-15T18:40:14.289898Z","level":"TRACE","fields":{"message":"hello! I\'m gonna shave a yak","excitement":"yay!"},"target":"fmt::yak_shave","span":{"yak":1,"name":"shave"},"spans":[{"yaks":3,"name":"shaving_yaks"},{"yak":1,"name":"shave"}]}',
  );
  for (const l of lines) JSON.parse(l);
});

test("pretty shows the source location when the callsite has one", () => {
  let out = "";
  withSubscriber(
    registry().with(
      fmtLayer({ format: "pretty", writer: (s) => (out += s), clock: () => T, ansi: false }),
    ),
    async () => {
      const { callsite } = await import("@periscope/tracing");
      callsite({
        kind: "event",
        level: Level.WARN,
        target: "loc",
        name: "e",
        file: "src/server.ts",
        line: 42,
      }).event({}, "here");
    },
  );
  return new Promise<void>((r) => setImmediate(r)).then(() =>
    assert.equal(out, "  2026-02-15T18:40:14.289898Z  WARN loc: here\n    at src/server.ts:42\n\n"),
  );
});

test("colours only when asked or on a TTY, and never with NO_COLOR", () => {
  const coloured = yaks("full", { ansi: true });
  assert.match(coloured, /\x1b\[32m INFO\x1b\[0m/);
  assert.match(coloured, /\x1b\[1mshaving_yaks\x1b\[0m/);
  const tty = { isTTY: true, write() {} };
  assert.equal(fmtLayer({ writer: tty, env: {} }).ansi, true);
  assert.equal(fmtLayer({ writer: tty, env: { NO_COLOR: "1" } }).ansi, false);
  assert.equal(
    fmtLayer({ writer: tty, env: { NO_COLOR: "" } }).ansi,
    true,
    "empty NO_COLOR is unset",
  );
  assert.equal(fmtLayer({ writer: () => {}, env: {} }).ansi, false);
});

test("hostile field values render safely and never throw into the caller", () => {
  let out = "";
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const throwing = {
    get boom(): never {
      throw new Error("getter");
    },
    ok: 1,
  };
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const huge = "x".repeat(100_000);
  for (const format of ["full", "json"] as const) {
    withSubscriber(
      registry().with(fmtLayer({ format, writer: (s) => (out += s), clock: () => T, ansi: false })),
      () => {
        logger("bad").warn("evil \x1b[2J message\nforged line", {
          cyclic,
          throwing,
          revoked: revoked.proxy,
          sym: Symbol("s"),
          fn: function named() {},
          huge,
          big: 2n ** 70n,
          err: new RangeError("out"),
          nan: Number.NaN,
          "key\x1b[31m": "esc\x1b]0;title\x07",
        });
      },
    );
  }
  const [full, json] = out.trimEnd().split("\n");
  assert.ok(full !== undefined && json !== undefined);
  assert.ok(!/[\x00-\x09\x0b-\x1f]/.test(out), "no raw control characters reach the output");
  assert.match(full, /evil \\x1b\[2J message\\nforged line/);
  assert.match(full, /"key\\u\{1b\}\[31m"="esc\\u\{1b\}\]0;title\\u\{7\}"/);
  assert.match(full, /"self":"\[Circular\]"/);
  assert.match(full, /"boom":"\[getter threw: Error: getter\]","ok":1/);
  assert.match(full, /revoked=\[unrenderable\]/);
  assert.match(full, /sym=Symbol\(s\) fn=\[Function named\]/);
  assert.match(full, /x…\[truncated 95904 chars\]"/);
  assert.match(full, /big=1180591620717411303424 err=out nan=NaN/);
  const parsed = JSON.parse(json) as { fields: Record<string, unknown> };
  assert.equal(parsed.fields.message, "evil \x1b[2J message\nforged line");
  assert.deepEqual(parsed.fields.cyclic, { name: "loop", self: "[Circular]" });
  assert.equal(parsed.fields.err, "out", "an error as its message, as upstream's JSON");
  assert.equal(parsed.fields["key\x1b[31m"], "esc\x1b]0;title\x07");
  assert.ok((parsed.fields.huge as string).length < 5000);
});

test("writes to a file, appending", () => {
  const dir = mkdtempSync(join(tmpdir(), "periscope-fmt-"));
  try {
    const path = join(dir, "app.log");
    for (let i = 0; i < 2; i++) {
      withSubscriber(registry().with(fmtLayer({ writer: { path }, clock: () => T })), () =>
        logger("file").info(`line ${i}`),
      );
    }
    assert.equal(
      readFileSync(path, "utf8"),
      "2026-02-15T18:40:14.289898Z  INFO file: line 0\n2026-02-15T18:40:14.289898Z  INFO file: line 1\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a closed stdout pipe (EPIPE) does not crash the program", () => {
  // The child logs a lot to stdout; `head -c 1`-like behaviour: we close the read end at once.
  const script = `
    import { init } from "@periscope/tracing-subscriber";
    import { logger } from "@periscope/tracing";
    init({ env: {} });
    const log = logger("epipe");
    let i = 0;
    const t = setInterval(() => { for (let k = 0; k < 200; k++) log.info("spam", { i: i++ }); }, 1);
    setTimeout(() => { clearInterval(t); process.stderr.write("survived\\n"); }, 300);
  `;
  const r = spawnSync(
    "sh",
    [
      "-c",
      `"${process.execPath}" --input-type=module -e '${script.replace(/'/g, "'\\''")}' | head -c 1 >/dev/null`,
    ],
    { cwd: join(import.meta.dirname, ".."), encoding: "utf8", timeout: 20_000 },
  );
  assert.match(r.stderr, /survived/, r.stderr);
});

test("spanClose prints a close line with busy and idle time, as FmtSpan::CLOSE", () => {
  let out = "";
  let now = T;
  const layer = fmtLayer({
    writer: (s) => (out += s),
    clock: () => now,
    ansi: false,
    spanClose: true,
  });
  withSubscriber(registry().with(layer), () => {
    const s = logger("timing").infoSpan("req", { id: 1 });
    now += 0.004; // idle 4 µs
    s.inScope(() => {
      now += 1.5; // busy 1.5 ms
    });
    now += 2; // idle 2 ms more
    s.close();
  });
  // Closed 3.504 ms after T: busy 1.5 ms, idle 4 µs + 2 ms, with upstream's precision.
  assert.equal(
    out,
    "2026-02-15T18:40:14.293402Z  INFO req{id=1}: timing: close time.busy=1.50ms time.idle=2.00ms\n",
  );
});

test("formatDuration writes TimingDisplay's units and precision", async () => {
  const { formatDuration } = await import("@periscope/tracing-subscriber");
  assert.deepEqual(
    [
      formatDuration(12),
      formatDuration(4_300),
      formatDuration(1_234_567),
      formatDuration(2.5e9),
      formatDuration(456),
      formatDuration(2e6),
      formatDuration(12_345_000_000_000),
    ],
    ["12.0ns", "4.30µs", "1.23ms", "2.50s", "456ns", "2.00ms", "12345s"],
  );
});

test("json options: flattened event, no current span, no span list", () => {
  let out = "";
  const layer = fmtLayer({
    format: "json",
    writer: (s) => (out += s),
    clock: () => T,
    json: { flattenEvent: true, currentSpan: false },
  });
  withSubscriber(registry().with(layer), () => {
    const s = logger("j").infoSpan("outer", { a: 1 });
    s.inScope(() => logger("j").info("m", { k: "v" }));
    s.close();
    logger("j").info(undefined as unknown as string);
  });
  const [first, second] = out.trimEnd().split("\n");
  assert.equal(
    first,
    '{"timestamp":"2026-02-15T18:40:14.289898Z","level":"INFO","message":"m","k":"v","target":"j","spans":[{"a":1,"name":"outer"}]}',
  );
  assert.equal(second, '{"timestamp":"2026-02-15T18:40:14.289898Z","level":"INFO","target":"j"}');
});

test("errors print their message and cause chain, as record_error: error.sources=[...]", () => {
  let out = "";
  const layer = fmtLayer({ writer: (s) => (out += s), clock: () => T, ansi: false });
  withSubscriber(registry().with(layer), () => {
    const err = new Error("missing yak", {
      cause: new Error("out of space", { cause: new Error("out of cash") }),
    });
    logger("fmt::yak_shave").error("failed to shave yak", { yak: 3, error: err });
    logger("fmt::yak_shave").warn("plain", { error: new TypeError("no cause") });
  });
  assert.equal(
    out,
    [
      "2026-02-15T18:40:14.289898Z ERROR fmt::yak_shave: failed to shave yak yak=3 error=missing yak error.sources=[out of space, out of cash]",
      "2026-02-15T18:40:14.289898Z  WARN fmt::yak_shave: plain error=no cause",
      "",
    ].join("\n"),
  );
});

test("json writes no message key for an empty message", () => {
  let out = "";
  const layer = fmtLayer({ format: "json", writer: (s) => (out += s), clock: () => T });
  withSubscriber(registry().with(layer), () => logger("j").info("", { k: 1 }));
  assert.equal(
    out,
    '{"timestamp":"2026-02-15T18:40:14.289898Z","level":"INFO","fields":{"k":1},"target":"j"}\n',
  );
});

test("messages escape terminal controls as upstream spells them (\\x1b, \\x07, \\x7f, C1)", () => {
  let out = "";
  const layer = fmtLayer({
    writer: (s) => (out += s),
    clock: () => T,
    ansi: false,
    timestamps: false,
  });
  withSubscriber(registry().with(layer), () =>
    logger("e").info("a\x1b[31mb\x07c\x08d\x0ce\x7ff\u009bg\ttab"),
  );
  assert.equal(out, " INFO e: a\\x1b[31mb\\x07c\\x08d\\x0ce\\x7ff\\u{9b}g\ttab\n");
});
