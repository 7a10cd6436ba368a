// The tasks table (the console's home screen) with the warnings pane above it.

import { formatBytes } from "../bytes.ts";
import { TASK_COLUMNS } from "../columns.ts";
import { formatDuration } from "../duration.ts";
import { ALL_LINTS, lintSummary } from "../lints.ts";
import type { Task, TaskState } from "../model.ts";
import { describeResourceLint, RESOURCE_LINTS, resourceLintSummary } from "../resource-lints.ts";
import type { TaskRow } from "../rows.ts";
import type { Color, Styles } from "../styles.ts";
import { busyAt, idleAt, scheduledAt, stateAt, totalAt } from "../task-math.ts";
import { fitLocation, widthOf } from "../width.ts";
import { headerLine } from "./header.ts";
import type { Scene } from "./scene.ts";
import { type Column, cell, headerRow, layoutColumns, row, usedWidth } from "./table.ts";
import { blank, box, compose, controls, type Seg } from "./text.ts";

export const STATE_COLOR: Record<TaskState, Color> = {
  running: "green",
  scheduled: "yellow",
  idle: "gray",
  done: "gray",
};

/** Below this width the tasks table drops Warn, Kind, Sched and Idle. */
export const NARROW_WIDTH = 100;
// Warn folds into State there ("▶ ⚠1").
const NARROW_HIDDEN = new Set([0, 6, 7, 9]);

export const TABLE_CONTROLS: Array<[string, string]> = [
  ["←→", "sort column"],
  ["i", "invert sort"],
  ["↑↓ jk", "scroll"],
  ["gg G", "top/bottom"],
  ["enter", "details"],
  ["/", "filter"],
  ["T", "tree"],
  ["t r", "tasks/resources"],
  ["space", "pause"],
  ["?", "help"],
  ["q", "quit"],
];

export function asciiControls(pairs: Array<[string, string]>, s: Styles): Array<[string, string]> {
  if (!s.ascii) return pairs;
  return pairs.map(([k, a]) => [k.replace("←→", "<- ->").replace("↑↓", "up/down"), a]);
}

interface Widths {
  id: number;
  name: number;
  polls: number;
  kind: number;
  location: number;
}

interface Summary {
  widths: Widths;
  counts: Record<TaskState, number>;
}

// Column widths follow the widest value among all listed rows, and the title counts the rows in
// each state: one walk over the rows for both, once per row list (a new list comes with each
// update). One walk, not two: with 10,000 tasks the walk is mostly cache misses on the tasks.
const summaryMemo = new WeakMap<TaskRow[], Summary>();

function summarise(rows: TaskRow[]): Summary {
  const hit = summaryMemo.get(rows);
  if (hit) return hit;
  const w: Widths = { id: 2, name: 4, polls: 5, kind: 4, location: 8 };
  let running = 0;
  let scheduled = 0;
  let idle = 0;
  let done = 0;
  for (let i = 0; i < rows.length; i++) {
    const { task: t, prefix } = rows[i] as TaskRow;
    const st = stateAt(t, 0);
    if (st === "idle") idle++;
    else if (st === "done") done++;
    else if (st === "running") running++;
    else scheduled++;
    if (t.idText.length > w.id) w.id = t.idText.length;
    const n = (prefix === "" ? 0 : nameWidth(prefix)) + nameWidth(t.name);
    if (n > w.name) w.name = n;
    // Digits without a string per row (this runs over every task each update).
    for (let p = 10 ** w.polls; t.polls >= p; p *= 10) w.polls++;
    if (t.kind.length > w.kind) w.kind = widthOf(t.kind);
    if (t.location.length > w.location) w.location = widthOf(t.location);
  }
  const out: Summary = {
    widths: {
      id: w.id,
      name: Math.min(w.name, 32),
      polls: w.polls,
      kind: Math.min(w.kind, 12),
      location: Math.min(w.location, 40),
    },
    counts: { running, scheduled, idle, done },
  };
  summaryMemo.set(rows, out);
  return out;
}

/** Names repeat across thousands of tasks: their widths are looked up, not measured per row. */
const nameWidths = new Map<string, number>();

function nameWidth(s: string): number {
  let w = nameWidths.get(s);
  if (w === undefined) {
    if (nameWidths.size >= 10_000) nameWidths.clear();
    w = widthOf(s);
    nameWidths.set(s, w);
  }
  return w;
}

/** "12 (connection)", or the id alone for an unnamed task. */
export function taskLabel(t: Task): string {
  return t.name ? `${t.idText} (${t.name})` : t.idText;
}

export function warningsPane(sc: Scene, width: number): string[] {
  const { state, styles: s } = sc;
  const lines: string[] = [];
  for (const id of ALL_LINTS) {
    const n = state.lintCounts.get(id) ?? 0;
    if (n === 0) continue;
    const ex = state.lintExamples.get(id);
    const who = ex ? taskLabel(ex) + (ex.location ? ` at ${ex.location}` : "") : "";
    const more = n > 1 ? ` (+${n - 1} more)` : "";
    lines.push(
      compose(
        [
          [`${s.sym.warn} `, (x) => s.fg(x, "yellow")],
          [`${n} ${lintSummary(id)}`],
          [who ? `: ${who}${more}` : ""],
        ],
        width - 2,
        s,
      ),
    );
  }
  for (const id of RESOURCE_LINTS) {
    const hits = state.resourceLints.filter((l) => l.id === id);
    const first = hits[0];
    if (first === undefined) continue;
    const track = state.resourceTracks.get(first.resource.spanId);
    const text = track ? describeResourceLint(id, first.resource, track, state.now) : "";
    const more = hits.length > 1 ? ` (+${hits.length - 1} more)` : "";
    lines.push(
      compose(
        [
          [`${s.sym.warn} `, (x) => s.fg(x, "yellow")],
          [`${hits.length} ${resourceLintSummary(id)}: ${text}${more}`],
        ],
        width - 2,
        s,
      ),
    );
  }
  const sw = state.serverWarnings;
  // -A long-poll silences the server's count too, not only the console's own lint.
  if (sw && sw.longPolls > 0 && state.lints.includes("long-poll")) {
    const over =
      sw.thresholdNs === undefined
        ? ""
        : ` over ${formatDuration(sw.thresholdNs, 0, s.ascii).text}`;
    const w = sw.worst;
    const worst = w
      ? `; worst ${formatDuration(w.durationNs, 2, s.ascii).text} in task ${w.task}${w.location ? ` at ${w.location}` : ""}`
      : "";
    lines.push(
      compose(
        [
          [`${s.sym.warn} `, (x) => s.fg(x, "red")],
          [`${sw.longPolls} polls blocked the event loop${over} (seen by the server)${worst}`],
        ],
        width - 2,
        s,
      ),
    );
  }
  if (lines.length === 0) return [];
  const shown = lines.slice(0, 6);
  return box([["Warnings", (x) => s.bold(x)]], shown, width, shown.length + 2, s);
}

export function tasksView(sc: Scene, width: number, height: number): string[] {
  const { state, ui, styles: s } = sc;
  const rows = sc.rows.tasks(state, ui.tasks, ui.filter, ui.tree, s.sym);
  const out = [headerLine(sc, width), ...controls(asciiControls(TABLE_CONTROLS, s), width, s)];
  out.push(...warningsPane(sc, width));
  const boxHeight = Math.max(3, height - out.length);
  const page = Math.max(1, boxHeight - 3);
  ui.tasks.follow(rows, (r) => r.task.spanId, page);

  const { counts, widths: w } = summarise(rows);
  const title: Seg[] = [
    [`Tasks (${rows.length})`, (x) => s.bold(x)],
    [" "],
    [`running (${counts.running})`, (x) => s.fg(x, "green")],
    [" "],
    [`scheduled (${counts.scheduled})`, (x) => s.fg(x, "yellow")],
    [` idle (${counts.idle}) done (${counts.done})`],
  ];
  const kept = state.serverWarnings?.retained;
  if (kept !== undefined) {
    const of = kept.budgetBytes === undefined ? "" : ` of ${formatBytes(kept.budgetBytes)}`;
    title.push([` retained ${formatBytes(kept.bytes)}${of}`]);
    if (kept.droppedForBudget > 0)
      title.push([
        `, ${kept.droppedForBudget.toLocaleString("en")} dropped for budget`,
        (x) => s.fg(x, "yellow"),
      ]);
  }
  if (ui.tree) title.push([" [tree]"]);
  if (ui.filter || ui.editingFilter) {
    title.push([` filter: ${ui.filter}${ui.editingFilter ? "_" : ""}`, (x) => s.fg(x, "cyan")]);
  }

  const inner = width - 2;
  // Below 100 columns Kind, Sched and Idle give way (the details view has them) and Warn joins
  // State, so Location
  // and Fields keep room to say something; Location is cut from the left, keeping the file name.
  const narrow = width < NARROW_WIDTH;
  const iconOnly = narrow && !s.ascii;
  const stateWidth = iconOnly ? 2 : s.ascii ? 9 : 12;
  const all: Column[] = [
    { title: TASK_COLUMNS[0], width: 4 },
    { title: TASK_COLUMNS[1], width: w.id, align: "right" },
    { title: TASK_COLUMNS[2], width: stateWidth },
    { title: TASK_COLUMNS[3], width: w.name },
    { title: TASK_COLUMNS[4], width: 6, align: "right" },
    { title: TASK_COLUMNS[5], width: 6, align: "right" },
    { title: TASK_COLUMNS[6], width: 6, align: "right" },
    { title: TASK_COLUMNS[7], width: 6, align: "right" },
    { title: TASK_COLUMNS[8], width: w.polls, align: "right" },
    { title: TASK_COLUMNS[9], width: w.kind },
    { title: TASK_COLUMNS[10], width: narrow ? Math.min(w.location, 20) : w.location },
    { title: TASK_COLUMNS[11], width: 6 },
  ].map((c, key) => ({ ...c, key }) as Column);
  const shown = narrow ? all.filter((c) => !NARROW_HIDDEN.has(c.key as number)) : all;
  const cols: Column[] = layoutColumns(shown, inner);
  const at = (key: number) => cols.find((c) => c.key === key);
  const used = usedWidth(cols);
  const body: string[] = [headerRow(cols, ui.tasks.column, ui.tasks.descending, inner, s)];
  if (state.updates === 0) {
    body.push(compose([[`  waiting for the first update from ${sc.status.source}`]], inner, s));
  } else if (rows.length === 0) {
    body.push(compose([[ui.filter ? "  no task matches the filter" : "  no tasks"]], inner, s));
  }
  const now = state.now;
  const end = Math.min(rows.length, ui.tasks.offset + page);
  for (let i = ui.tasks.offset; i < end; i++) {
    const { task: t, prefix } = rows[i] as TaskRow;
    const st = stateAt(t, now);
    const done = st === "done";
    const dur = (ns: number, c: Column | undefined) => c && s.duration(ns, 0, c.width);
    const warn = t.warnings.length ? `${s.sym.warn} ${t.warnings.length}` : "";
    const icon = s.sym.state[st];
    const base = iconOnly ? icon : icon ? `${icon} ${st}` : st;
    const stateText = narrow && t.warnings.length ? `${base} ${warn.replace(" ", "")}` : base;
    const loc = at(10);
    const cells = [
      cell(warn, at(0), s, (x) => s.fg(x, "yellow")),
      cell(t.idText, at(1), s),
      cell(stateText, at(2), s, (x) => s.fg(x, STATE_COLOR[st])),
      cell(prefix + t.name, at(3), s),
      dur(totalAt(t, now), at(4)),
      dur(busyAt(t, now), at(5)),
      dur(scheduledAt(t, now), at(6)),
      dur(idleAt(t, now), at(7)),
      cell(String(t.polls), at(8), s),
      cell(t.kind, at(9), s),
      loc && fitLocation(t.location, loc.width, s.sym.ellipsis),
      cell(t.fieldsText, at(11), s),
    ];
    let line = row(cells, i === ui.tasks.selected, used, inner, s);
    if (done) line = s.rowDim(line);
    if (i === ui.tasks.selected) line = s.rowReverse(line);
    body.push(line);
  }
  out.push(...box(title, body, width, boxHeight, s));
  while (out.length < height) out.push(blank(width));
  return out.slice(0, height);
}
