// The line-diff renderer writes only what changed and restores the terminal it took over.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Screen } from "@periscope/console";

function sink() {
  const writes: string[] = [];
  return { writes, out: { write: (s: string) => writes.push(s) } };
}

test("only changed lines are written, each at its row", () => {
  const { writes, out } = sink();
  const screen = new Screen(out);
  screen.enter();
  assert.match(writes[0] as string, /\x1b\[\?1049h/, "alternate screen");
  assert.match(writes[0] as string, /\x1b\[\?25l/, "cursor hidden");
  screen.draw(["aaa", "bbb", "ccc"]);
  assert.equal((writes[1] as string).match(/\x1b\[\d+;1H/g)?.length, 3);
  const before = writes.length;
  assert.equal(screen.draw(["aaa", "bbb", "ccc"]), 0, "an unchanged frame writes nothing");
  assert.equal(writes.length, before);
  screen.draw(["aaa", "BBB", "ccc"]);
  assert.equal(writes.at(-1), "\x1b[2;1HBBB\x1b[0m\x1b[K");
  screen.draw(["aaa"]);
  assert.match(
    writes.at(-1) as string,
    /\x1b\[2;1H\x1b\[K\x1b\[3;1H\x1b\[K/,
    "a shorter frame clears the rest",
  );
});

test("invalidate repaints everything; leave restores once", () => {
  const { writes, out } = sink();
  const screen = new Screen(out);
  screen.enter();
  screen.draw(["x", "y"]);
  screen.invalidate();
  screen.draw(["x", "y"]);
  assert.equal((writes.at(-1) as string).match(/\x1b\[\d+;1H/g)?.length, 2);
  screen.leave();
  screen.leave();
  const leaves = writes.filter((w) => w.includes("\x1b[?1049l"));
  assert.equal(leaves.length, 1);
  assert.match(leaves[0] as string, /\x1b\[\?25h/, "cursor shown again");
});
