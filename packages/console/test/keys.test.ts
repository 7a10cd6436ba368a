// Keyboard navigation through the UI layer: selection, sort, views, filter, tree, pause, quit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Console, fromKeypress, key, stripSgr } from "@periscope/console";
import { miniRedisTasks, resourceUpdate, type TaskSpec, taskUpdate } from "./fixtures.ts";

function con(specs: TaskSpec[] = miniRedisTasks()): Console {
  const c = new Console({ source: "test", colors: false });
  c.apply(taskUpdate(10_000, specs));
  c.apply(resourceUpdate(10_000));
  c.frame(100, 20);
  return c;
}

/** The id column of the selected row in the last frame. */
function selectedId(c: Console): string {
  const line = c
    .frame(100, 20)
    .map(stripSgr)
    .find((l) => l.startsWith("│▶"));
  assert.ok(line, "a row is selected");
  return line.slice(2).trim().split(/\s+/)[0] === "⚠"
    ? (line.slice(2).trim().split(/\s+/)[2] as string)
    : (line.slice(2).trim().split(/\s+/)[0] as string);
}

function press(c: Console, ...keys: string[]) {
  return keys.flatMap((k) => c.key(key(k)));
}

test("j/k and arrows move the selection and wrap around", () => {
  const c = con();
  assert.equal(selectedId(c), "1");
  press(c, "j");
  assert.equal(selectedId(c), "5");
  press(c, "down", "down");
  assert.equal(selectedId(c), "3");
  press(c, "k");
  assert.equal(selectedId(c), "2");
  press(c, "G");
  assert.equal(selectedId(c), "4");
  press(c, "j");
  assert.equal(selectedId(c), "1", "down from the last row wraps to the first");
  press(c, "up");
  assert.equal(selectedId(c), "4");
  press(c, "g", "g");
  assert.equal(selectedId(c), "1");
});

test("one g alone does not jump; g then another key does not either", () => {
  const c = con();
  press(c, "G", "g");
  assert.equal(selectedId(c), "4");
  press(c, "k");
  assert.equal(selectedId(c), "3");
  press(c, "g", "j");
  assert.equal(selectedId(c), "4");
});

test("left/right choose the sort column and i inverts it", () => {
  const c = con();
  press(c, "left", "left", "left"); // from Total (the default) to ID
  const ids = () =>
    c
      .frame(100, 20)
      .map(stripSgr)
      .filter((l) => /^│[▶ ] /.test(l) && /\d/.test(l.slice(2, 12)))
      .map((l) => l.slice(2).replace("⚠ 1", "").trim().split(/\s+/)[0]);
  assert.equal(c.ui.tasks.column, 1);
  assert.deepEqual(ids(), ["5", "4", "3", "2", "1"]);
  press(c, "i");
  assert.deepEqual(ids(), ["1", "2", "3", "4", "5"]);
  press(c, "right", "right", "right", "right", "right", "right", "right"); // Polls
  assert.equal(c.ui.tasks.column, 8);
  assert.deepEqual(ids(), ["5", "1", "4", "3", "2"]);
  press(c, "left", "left", "left", "left", "left", "left", "left", "left", "left");
  assert.equal(c.ui.tasks.column, 11, "left from the first column wraps to the last");
});

test("PgDn/PgUp move a page; the selection stays on screen", () => {
  const specs: TaskSpec[] = Array.from({ length: 100 }, (_, i) => ({
    id: i + 1,
    name: `t${i + 1}`,
    createdMs: i,
    polls: 1,
    busyMs: 1,
  }));
  const c = con(specs);
  const page = c.ui.tasks.page;
  assert.ok(page > 3 && page < 20);
  press(c, "pagedown");
  assert.equal(c.ui.tasks.selected, page);
  press(c, "pagedown", "pagedown", "pagedown", "pagedown", "pagedown", "pagedown", "pagedown");
  c.frame(100, 20);
  assert.ok(c.ui.tasks.offset <= c.ui.tasks.selected);
  assert.ok(c.ui.tasks.selected < c.ui.tasks.offset + page);
  press(c, "G");
  assert.equal(c.ui.tasks.selected, 99);
  press(c, "pageup");
  assert.equal(c.ui.tasks.selected, 99 - page);
});

test("Enter opens the selected task's details and asks for them; Esc goes back", () => {
  const c = con();
  press(c, "j", "j", "j"); // task 3
  const fx = press(c, "return");
  assert.deepEqual(fx, [{ kind: "watch-details", spanId: 3n }]);
  assert.equal(c.ui.view, "task");
  assert.match(c.frame(100, 30).map(stripSgr).join("\n"), /ID: 3 ▶ running/);
  assert.deepEqual(press(c, "escape"), [{ kind: "unwatch-details" }]);
  assert.equal(c.ui.view, "tasks");
  assert.equal(selectedId(c), "3", "the list keeps its selection");
});

test("r and t switch views; Enter on a resource lists its ops, and Enter on an op opens its task", () => {
  const c = con();
  press(c, "r");
  assert.equal(c.ui.view, "resources");
  assert.match(c.frame(100, 20).map(stripSgr).join("\n"), /Resources \(3\)/);
  press(c, "return");
  assert.equal(c.ui.view, "resource");
  assert.match(c.frame(100, 20).map(stripSgr).join("\n"), /Mutex::lock/);
  assert.deepEqual(press(c, "return"), [{ kind: "watch-details", spanId: 3n }]);
  assert.equal(c.ui.view, "task");
  press(c, "escape");
  assert.equal(c.ui.view, "resource", "Esc returns to the resource the task was opened from");
  press(c, "escape");
  assert.equal(c.ui.view, "resources");
  press(c, "t");
  assert.equal(c.ui.view, "tasks");
});

test("/ filters by name, field or location; Esc clears it", () => {
  const c = con();
  press(c, "/", "5", "0", "0", "0", "2");
  assert.equal(c.ui.filter, "50002");
  press(c, "return");
  let text = c.frame(100, 20).map(stripSgr).join("\n");
  assert.match(text, /Tasks \(1\)/);
  press(c, "/", "backspace", "backspace", "backspace", "backspace", "backspace");
  for (const ch of "db.ts") press(c, ch);
  press(c, "return");
  text = c.frame(100, 20).map(stripSgr).join("\n");
  assert.match(text, /Tasks \(1\).*filter: db\.ts/);
  assert.match(text, /purge/);
  press(c, "escape");
  assert.equal(c.ui.filter, "");
  assert.match(c.frame(100, 20).map(stripSgr).join("\n"), /Tasks \(5\)/);
});

test("keys typed into the filter prompt are text, not commands", () => {
  const c = con();
  assert.deepEqual(press(c, "/", "q", "r", "space"), []);
  assert.equal(c.ui.filter, "qr ");
  assert.equal(c.ui.view, "tasks");
});

test("space pauses and resumes; q and Ctrl-C quit; ? toggles help", () => {
  const c = con();
  assert.deepEqual(press(c, "space"), [{ kind: "pause" }]);
  assert.match(stripSgr(c.frame(100, 20)[0] as string), /PAUSED/);
  assert.deepEqual(press(c, "space"), [{ kind: "resume" }]);
  press(c, "?");
  assert.match(c.frame(100, 20).map(stripSgr).join("\n"), /Help/);
  press(c, "j");
  assert.equal(c.ui.tasks.selected, 0, "keys other than ? and Esc do nothing under help");
  press(c, "escape");
  assert.equal(c.ui.help, false);
  assert.deepEqual(press(c, "q"), [{ kind: "quit" }]);
  assert.deepEqual(press(c, "C-c"), [{ kind: "quit" }]);
});

test("[ and ] seek only in replay", () => {
  assert.deepEqual(press(con(), "]"), []);
  const r = new Console({ replay: true });
  assert.deepEqual(press(r, "]", "["), [
    { kind: "seek", deltaNs: 10e9 },
    { kind: "seek", deltaNs: -10e9 },
  ]);
});

test("readline keypress events map to keys", () => {
  assert.deepEqual(fromKeypress("G", { name: "g", sequence: "G", shift: true }), {
    name: "G",
    ctrl: false,
    ch: "G",
  });
  assert.deepEqual(fromKeypress(undefined, { name: "up", sequence: "\x1b[A" }), {
    name: "up",
    ctrl: false,
    ch: undefined,
  });
  assert.deepEqual(fromKeypress("\r", { name: "return", sequence: "\r" }), {
    name: "return",
    ctrl: false,
    ch: undefined,
  });
  assert.deepEqual(fromKeypress("\x03", { name: "c", sequence: "\x03", ctrl: true }), {
    name: "c",
    ctrl: true,
    ch: undefined,
  });
  assert.deepEqual(fromKeypress(" ", { name: "space", sequence: " " }), {
    name: "space",
    ctrl: false,
    ch: " ",
  });
});
