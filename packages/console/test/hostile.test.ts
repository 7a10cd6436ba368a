// Strings from the wire are hostile: escape sequences, controls and bidi overrides in task
// names, fields, locations, resource types and metadata must reach the terminal inert.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ALL_LINTS, Console, key, sanitize, stripSgr } from "@periscope/console";
import { Update } from "@periscope/console-api";
import stringWidth from "string-width";
import { str, taskUpdate, ts } from "./fixtures.ts";

const EVIL = [
  "\x1b]0;pwned\x07", // OSC: set the window title
  "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", // OSC 8 hyperlink
  "\x1b[2J\x1b[H", // clear the screen, home
  "\x1b[31mred", // SGR from the wire
  "\x9b6n", // C1 CSI: device status report
  "\x1bP+q544e\x1b\\", // DCS: request termcap
  "\x1b[?1049l", // leave the alternate screen
  "\u202eexe.txt", // right-to-left override
  "a\u2066b\u2069c", // bidi isolates
  "\x07\x08\x00\x7f", // BEL, BS, NUL, DEL
  "line1\r\nline2", // newlines would break the grid
  "\ud800lone", // a lone surrogate
].join("|");

function hostileConsole(): Console {
  const c = new Console({ source: "test", colors: true, lints: ALL_LINTS });
  c.apply(
    taskUpdate(10_000, [
      {
        id: 1,
        name: EVIL,
        fields: [str(EVIL, EVIL)],
        file: EVIL,
        createdMs: 0,
        polls: 3,
        busyMs: 1,
      },
    ]),
  );
  c.apply(
    Update.fromPartial({
      now: ts(10_000),
      newMetadata: {
        metadata: [{ id: { id: 9n }, metadata: { name: EVIL, target: EVIL, fieldNames: [EVIL] } }],
      },
      resourceUpdate: {
        newResources: [
          {
            id: { id: 50n },
            metadata: { id: 9n },
            concreteType: EVIL,
            kind: { other: EVIL },
            location: { file: EVIL, line: 1 },
          },
        ],
        statsUpdate: new Map([
          [
            50n,
            {
              createdAt: ts(0),
              droppedAt: undefined,
              attributes: [
                { field: { nameIdx: 0n, debugVal: EVIL, metadataId: { id: 9n } }, unit: EVIL },
              ],
            },
          ],
        ]),
        droppedEvents: 0n,
      },
      asyncOpUpdate: {
        newAsyncOps: [
          { id: { id: 60n }, metadata: { id: 9n }, source: EVIL, resourceId: { id: 50n } },
        ],
        statsUpdate: new Map([
          [
            60n,
            {
              createdAt: ts(0),
              droppedAt: undefined,
              taskId: { id: 1n },
              pollStats: undefined,
              attributes: [],
            },
          ],
        ]),
        droppedEvents: 0n,
      },
    }),
  );
  return c;
}

function assertInert(lines: string[], width: number, where: string): void {
  for (const [i, line] of lines.entries()) {
    // The only escapes left are the console's own SGR colour/attribute sequences.
    const withoutSgr = line.replace(/\x1b\[[0-9;]*m/g, "");
    assert.doesNotMatch(
      withoutSgr,
      /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]/,
      `${where} line ${i}`,
    );
    assert.doesNotMatch(
      withoutSgr,
      /[\ud800-\udbff](?![\udc00-\udfff])/,
      `${where} line ${i}: lone surrogate`,
    );
    assert.equal(stringWidth(stripSgr(line)), width, `${where} line ${i} keeps the grid`);
  }
}

test("hostile strings render inert in every view", () => {
  const c = hostileConsole();
  assertInert(c.frame(120, 30), 120, "tasks");
  assert.match(
    stripSgr(c.frame(200, 30).join("\n")),
    /\|link\|\|red\|/,
    "the text stays visible, only the escapes go",
  );
  c.key(key("return"));
  assertInert(c.frame(120, 40), 120, "task details");
  c.key(key("r"));
  assertInert(c.frame(120, 30), 120, "resources");
  c.key(key("return"));
  assertInert(c.frame(120, 30), 120, "resource details");
  c.key(key("t"));
  c.key(key("T"));
  assertInert(c.frame(120, 30), 120, "tree");
});

test("a filter typed with escapes is sanitized too", () => {
  const c = hostileConsole();
  c.key(key("/"));
  for (const ch of "\x1b[2J") c.key({ name: ch, ctrl: false, ch });
  assertInert(c.frame(120, 20), 120, "filter prompt");
});

test("sanitize strips sequences and controls and keeps ordinary text", () => {
  assert.equal(sanitize("\x1b]0;title\x07name"), "name");
  assert.equal(sanitize("\x1b[1;31mred\x1b[0m"), "red");
  assert.equal(sanitize("a\tb\nc"), "a b c");
  assert.equal(sanitize("\u202eabc"), "abc");
  assert.equal(sanitize("\x9b31m"), "31m");
  assert.equal(sanitize("日本語 🚀 café"), "日本語 🚀 café");
  assert.equal(sanitize(undefined), "");
  assert.ok(sanitize("x".repeat(5000)).length <= 512);
});
