// A task's details: ids and times with percentages, waker counts, poll-time and scheduled-time
// percentiles with a histogram chart each, warnings and fields.
import { formatDuration } from "../duration.ts";
import { describeLint } from "../lints.ts";
import type { Histogram, Task } from "../model.ts";
import type { Styles } from "../styles.ts";
import { busyAt, idleAt, scheduledAt, selfWakePercent, stateAt, totalAt } from "../task-math.ts";
import { headerLine } from "./header.ts";
import type { Scene } from "./scene.ts";
import { STATE_COLOR } from "./tasks.ts";
import { beside, blank, box, compose, controls, type Seg } from "./text.ts";

const PERCENTILE_WIDTH = 26;
const DURATIONS_HEIGHT = 9;

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((part * 100) / whole).toFixed(2)}%` : "0.00%";
}

/** Vertical bars over [min, max] in `width` columns and `rows` rows, plus a min/max label line. */
export function chart(h: Histogram, width: number, rows: number, s: Styles): string[] {
  const counts = new Array<number>(Math.max(1, width)).fill(0);
  // Poll times spread from nanoseconds to seconds: past two orders of magnitude a linear axis
  // would put everything in the first column, so the axis turns logarithmic.
  const lo = Math.max(1, h.min);
  const log = h.max / lo > 100;
  const span = log ? Math.log(h.max / lo) : h.max - h.min;
  for (const [v, c] of h.values) {
    const x = log ? Math.log(Math.max(v, lo) / lo) : v - h.min;
    const i =
      span <= 0 ? 0 : Math.min(width - 1, Math.max(0, Math.floor((x / span) * (width - 1))));
    counts[i] = (counts[i] ?? 0) + c;
  }
  const top = Math.max(1, ...counts);
  const levels = counts.map((c) => (c === 0 ? 0 : Math.max(1, Math.round((c / top) * rows * 8))));
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const floor = (rows - 1 - r) * 8;
    let line = "";
    for (const l of levels) line += s.sym.bars[Math.max(0, Math.min(8, l - floor))];
    lines.push(s.fg(line, "cyan"));
  }
  const left = formatDuration(h.min, 2, s.ascii).text;
  const right = formatDuration(h.max, 2, s.ascii).text;
  const mid = log ? "log scale" : "";
  const room = Math.max(2, width - left.length - right.length - mid.length);
  const pad1 = " ".repeat(Math.floor(room / 2));
  const pad2 = " ".repeat(room - pad1.length);
  lines.push(compose([[left], [pad1], [mid, (x) => s.fg(x, "gray")], [pad2], [right]], width, s));
  return lines;
}

function durations(
  title: string,
  h: Histogram | undefined,
  waiting: boolean,
  width: number,
  s: Styles,
): string[] {
  const pw = Math.min(PERCENTILE_WIDTH, width);
  const inner = pw - 2;
  const body: string[] = [];
  if (h) {
    for (const [p, v] of h.percentiles) {
      body.push(
        compose([[`p${String(p).padStart(2)}: `, (x) => s.bold(x)], s.durationSeg(v, 2)], inner, s),
      );
    }
  } else {
    body.push(compose([[waiting ? "waiting for details" : "not sent by the server"]], inner, s));
  }
  const left = box([[`${title} Percentiles`, (x) => s.bold(x)]], body, pw, DURATIONS_HEIGHT, s);
  const cw = width - pw;
  if (cw < 10) return left;
  const chartTitle: Seg[] = [[`${title} Histogram`, (x) => s.bold(x)]];
  if (h && h.highOutliers > 0) {
    const max = formatDuration(h.highestOutlier ?? h.max, 2, s.ascii).text;
    chartTitle.push([` (${h.highOutliers} outliers, max ${max})`]);
  }
  const chartBody = h ? chart(h, cw - 2, DURATIONS_HEIGHT - 3, s) : [];
  return beside(left, box(chartTitle, chartBody, cw, DURATIONS_HEIGHT, s));
}

function overview(t: Task, now: number, width: number, s: Styles): string[] {
  const total = totalAt(t, now);
  const st = stateAt(t, now);
  const line = (label: string, value: Seg[]) =>
    compose([[label, (x) => s.bold(x)], ...value], width, s);
  const timed = (label: string, ns: number) =>
    line(label, [s.durationSeg(ns, 2), [` (${pct(ns, total)})`]]);
  const icon = s.sym.state[st];
  const stText = icon ? `${icon} ${st}` : st;
  const lines = [line("ID: ", [[`${t.idText} `], [stText, (x) => s.fg(x, STATE_COLOR[st])]])];
  if (t.name) lines.push(line("Name: ", [[t.name]]));
  lines.push(line("Target: ", [[t.target]]), line("Location: ", [[t.location]]));
  lines.push(line("Total Time: ", [s.durationSeg(total, 2)]));
  lines.push(timed("Busy: ", busyAt(t, now)));
  lines.push(timed("Scheduled: ", scheduledAt(t, now)));
  lines.push(timed("Idle: ", idleAt(t, now)));
  return lines;
}

function wakers(t: Task, now: number, width: number, s: Styles): string[] {
  const line = (label: string, value: string) =>
    compose([[label, (x) => s.bold(x)], [value]], width, s);
  const lines = [
    line("Current wakers: ", `${Math.max(0, t.wakerClones - t.wakerDrops)}`),
    line("  Clones: ", `${t.wakerClones}, Drops: ${t.wakerDrops}`),
    line("Woken: ", `${t.wakes} times`),
  ];
  if (t.lastWake !== undefined) {
    lines.push(
      compose(
        [
          ["Last woken: ", (x) => s.bold(x)],
          s.durationSeg(Math.max(0, now - t.lastWake), 2),
          [" ago"],
        ],
        width,
        s,
      ),
    );
  }
  lines.push(line("Self wakes: ", `${t.selfWakes} times (${selfWakePercent(t)}%)`));
  lines.push(line("Polls: ", `${t.polls}`));
  return lines;
}

export const TASK_CONTROLS: Array<[string, string]> = [
  ["esc", "back"],
  ["space", "pause"],
  ["?", "help"],
  ["q", "quit"],
];

export function taskView(sc: Scene, width: number, height: number): string[] {
  const { state, ui, styles: s } = sc;
  const out = [headerLine(sc, width), ...controls(TASK_CONTROLS, width, s)];
  const t = ui.task === undefined ? undefined : state.tasks.get(ui.task);
  if (!t) {
    out.push(
      compose(
        [
          [
            "This task is gone: the server no longer reports it (it ended before the details opened, or the server restarted). Esc goes back.",
          ],
        ],
        width,
        s,
      ),
    );
    while (out.length < height) out.push(blank(width));
    return out.slice(0, height);
  }
  const now = state.now;
  if (t.warnings.length) {
    const cx = state.lintContext();
    const lines = t.warnings.map((w) =>
      compose(
        [
          [`${s.sym.warn} `, (x) => s.fg(x, "yellow")],
          [s.ascii ? describeLint(w, t, cx).replaceAll("µs", "us") : describeLint(w, t, cx)],
        ],
        width - 2,
        s,
      ),
    );
    out.push(...box([["Warnings", (x) => s.bold(x)]], lines, width, lines.length + 2, s));
  }
  if (t.kind === "root") {
    // The root is not spawned: it stands for every slice of code no task owns.
    const note = [
      "Work outside any task: top-level code, timers and callbacks that no spawned task owns",
      "(and the console server's own work). The event loop runs it without waking it, so it is",
      "never woken and never scheduled; its busy time is the time spent outside tasks.",
    ].map((l) => compose([[l]], width - 2, s));
    out.push(...box([["Root", (x) => s.bold(x)]], note, width, note.length + 2, s));
  }
  const wakerWidth = width >= 90 ? 40 : 0;
  const taskWidth = width - wakerWidth;
  const left = overview(t, now, taskWidth - 2, s);
  const right = wakerWidth ? wakers(t, now, wakerWidth - 2, s) : [];
  const statsHeight = Math.max(left.length, right.length) + 2;
  const taskBox = box([["Task", (x) => s.bold(x)]], left, taskWidth, statsHeight, s);
  out.push(
    ...(wakerWidth
      ? beside(taskBox, box([["Waker", (x) => s.bold(x)]], right, wakerWidth, statsHeight, s))
      : taskBox),
  );
  if (!wakerWidth) {
    const w = wakers(t, now, width - 2, s);
    out.push(...box([["Waker", (x) => s.bold(x)]], w, width, w.length + 2, s));
  }
  const details = state.details?.spanId === t.spanId ? state.details : undefined;
  const waiting = !details && sc.status.state !== "replay" && sc.status.state !== "ended";
  out.push(...durations("Poll Times", details?.pollTimes, waiting, width, s));
  out.push(...durations("Sched Times", details?.scheduledTimes, waiting, width, s));
  const fieldsHeight = height - out.length;
  if (fieldsHeight >= 3) {
    const lines = t.fields.map((f) => compose([[f]], width - 2, s));
    out.push(...box([["Fields", (x) => s.bold(x)]], lines, width, fieldsHeight, s));
  }
  while (out.length < height) out.push(blank(width));
  return out.slice(0, height);
}
