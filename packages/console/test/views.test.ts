// View functions render fixed state to exact text at a fixed size (snapshots in ./snapshots).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ALL_LINTS, Console, key, stripSgr } from "@periscope/console";
import {
  details,
  miniRedisTasks,
  periscopeExtras,
  resourceUpdate,
  taskUpdate,
} from "./fixtures.ts";
import { matchSnapshot } from "./snapshot-util.ts";

function fixture(opts: { ascii?: boolean } = {}): Console {
  const c = new Console({
    source: "http://127.0.0.1:6669",
    colors: true,
    ascii: opts.ascii,
    lints: ALL_LINTS,
  });
  c.status = { ...c.status, state: "connected" };
  c.apply(taskUpdate(10_000, miniRedisTasks()));
  c.apply(resourceUpdate(10_000));
  return c;
}

const POLLS = [800, 1200, 5_000, 20_000, 30_000, 45_000, 500_000, 1e6, 2e6, 2e6, 3e6];
const SCHED = [100, 300, 2_000, 3_000, 9_000];

test("tasks view, sorted by total, with the warnings pane", () => {
  matchSnapshot("tasks-120x20", fixture().frame(120, 20), 120);
});

test("tasks view in a narrow terminal cuts columns, not lines", () => {
  matchSnapshot("tasks-64x14", fixture().frame(64, 14), 64);
});

test("tasks view as a tree, ASCII only", () => {
  const c = fixture({ ascii: true });
  c.key(key("T"));
  matchSnapshot("tasks-tree-ascii-100x16", c.frame(100, 16), 100);
});

test("tasks view sorted by polls, filtered to connections", () => {
  const c = fixture();
  for (let i = 0; i < 4; i++) c.key(key("right"));
  for (const ch of "/conn") c.key(key(ch));
  c.key(key("return"));
  matchSnapshot("tasks-polls-filter-120x14", c.frame(120, 14), 120);
});

test("task details with percentiles and histograms", () => {
  const c = fixture();
  c.key(key("j"));
  c.key(key("j"));
  c.key(key("j"));
  c.key(key("return"));
  c.applyDetails(details(3, POLLS, SCHED));
  matchSnapshot("task-details-120x40", c.frame(120, 40), 120);
});

test("resources view and a resource's async ops", () => {
  const c = fixture();
  c.key(key("r"));
  matchSnapshot("resources-120x12", c.frame(120, 12), 120);
  c.key(key("return"));
  matchSnapshot("resource-details-120x18", c.frame(120, 18), 120);
});

test("help screen", () => {
  const c = fixture();
  c.key(key("?"));
  matchSnapshot("help-100x20", c.frame(100, 20), 100);
});

test("a Periscope server's event-loop health in the header and long polls in the warnings", () => {
  const c = fixture();
  c.apply(periscopeExtras(10_000));
  matchSnapshot("tasks-periscope-extras-140x16", c.frame(140, 16), 140);
});

test("--no-colors leaves attributes but no colour; colours mark duration units and states", () => {
  const colour = /\x1b\[(3[0-7]|9[0-7])m/;
  const plain = new Console({ source: "x", colors: false, lints: ALL_LINTS });
  plain.apply(taskUpdate(10_000, miniRedisTasks()));
  const text = plain.frame(120, 20).join("\n");
  assert.doesNotMatch(text, colour);
  assert.match(text, /\x1b\[7m/, "the selection is still reverse video");
  assert.match(text, /\x1b\[2m/, "completed tasks are still dimmed");
  const lines = fixture().frame(120, 20);
  const row = lines.find((l) => stripSgr(l).includes(" purge "));
  assert.match(row ?? "", /\x1b\[35m\d+ms|\x1b\[31m +\d+ms/, "milliseconds have their colour");
  assert.match(row ?? "", /\x1b\[33m⏫ scheduled/, "the state has its icon and colour");
});
