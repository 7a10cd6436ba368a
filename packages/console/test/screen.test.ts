// The line-diff renderer writes only what changed and restores the terminal it took over.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Screen } from "@periscope/console";
import stringWidth from "string-width";
import { widthOf } from "../src/width.ts";

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

/** A terminal as far as the screen uses one: cursor moves, SGR, text, erase to end of line. */
function terminal(rows: number, cols: number) {
  const blank = () => Array.from({ length: cols }, () => ({ ch: " ", style: "" }));
  const grid = Array.from({ length: rows }, blank);
  const seg = new Intl.Segmenter();
  let r = 0;
  let c = 0;
  let style = "";
  return {
    grid,
    feed(s: string) {
      const re = /\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b\[K|\x1b\[\?\d+[hl]|\x1b\[H|\x1b\[2J/y;
      let i = 0;
      while (i < s.length) {
        re.lastIndex = i;
        const m = re.exec(s);
        if (m) {
          if (m[1] !== undefined) {
            r = Number(m[1]) - 1;
            c = Number(m[2]) - 1;
          } else if (m[3] !== undefined)
            style = m[3] === "0" || m[3] === "" ? "" : `${style};${m[3]}`;
          else if (m[0] === "\x1b[K")
            for (let x = c; x < cols; x++) grid[r]![x] = { ch: " ", style };
          i = re.lastIndex;
          continue;
        }
        let j = s.indexOf("\x1b", i);
        if (j === -1) j = s.length;
        for (const { segment } of seg.segment(s.slice(i, j))) {
          const w = /[\u4e00-\u9fff]/.test(segment) ? 2 : 1;
          grid[r]![c] = { ch: segment, style };
          if (w === 2) grid[r]![c + 1] = { ch: "", style };
          c += w;
        }
        i = j;
      }
    },
    text: () => grid.map((row) => row.map((x) => `${x.style}|${x.ch}`).join(",")),
  };
}

test("a changed line rewrites only its changed cells, and the screen ends up as a full repaint", () => {
  const tokens = ["abc", " ", "12ms", "9", "中文", "⏸", "\x1b[1m", "\x1b[32m", "\x1b[0m", "x", "…"];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const line = () =>
    Array.from({ length: 3 + rand(10) }, () => tokens[rand(tokens.length)]).join("");
  let compared = 0;
  for (let round = 0; round < 400; round++) {
    const a = [line(), line(), line()];
    const b = a.map((l) => {
      if (rand(3) === 0) return l;
      const at = rand(l.length + 1);
      return l.slice(0, at) + tokens[rand(tokens.length)] + l.slice(at + rand(4));
    });
    // Lines are cut at a token boundary above only by chance: keep escapes whole.
    if (b.some((l) => /\x1b(?!\[[0-9;]*m)|\x1b\[[0-9;]*$/.test(l))) continue;
    const t1 = terminal(3, 80);
    const s1 = new Screen({ write: (s: string) => t1.feed(s) });
    s1.enter();
    s1.draw(a);
    s1.draw(b);
    const t2 = terminal(3, 80);
    const s2 = new Screen({ write: (s: string) => t2.feed(s) });
    s2.enter();
    s2.draw(b);
    assert.deepEqual(t1.text(), t2.text(), `from ${JSON.stringify(a)} to ${JSON.stringify(b)}`);
    compared++;
  }
  assert.ok(compared > 100, `only ${compared} frames compared`);
  // A duration ticking in the middle of a row: the cells around it are not written again.
  const { writes, out } = sink();
  const screen = new Screen(out);
  screen.enter();
  screen.draw(["│ 12 connection  \x1b[32m10s\x1b[0m  3ms  src/server.ts:88:5 peer=127.0.0.1 │"]);
  screen.draw(["│ 12 connection  \x1b[32m11s\x1b[0m  3ms  src/server.ts:88:5 peer=127.0.0.1 │"]);
  assert.equal(writes.at(-1), "\x1b[1;19H\x1b[32m1\x1b[0m");
});

test("widths of table text agree with string-width, fast path or not", () => {
  const samples = [
    "abc",
    "│ ▶ ⏸ … ─┐",
    "中文 x",
    "é",
    "e\u0301",
    "👍🏽",
    "⚠ 3",
    "a\u200db",
    "▁▂▃█",
    "Ω≈∞→",
  ];
  for (const s of samples) assert.equal(widthOf(s), stringWidth(s), JSON.stringify(s));
});
