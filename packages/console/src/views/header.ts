// The top line: where the data comes from, connection state, pause, and event-loop health
// when the server provides it.
import { formatDuration } from "../duration.ts";
import { widthOf } from "../width.ts";
import type { Scene } from "./scene.ts";
import { compose, type Seg } from "./text.ts";

export function headerLine(sc: Scene, width: number): string {
  const { styles: s, status, state, ui } = sc;
  const stateColor =
    status.state === "connected" || status.state === "replay"
      ? "green"
      : status.state === "connecting"
        ? "yellow"
        : "red";
  const left: Seg[] = [
    ["periscope console", (x) => s.bold(x)],
    ["  "],
    [status.source],
    ["  "],
    [status.state, (x) => s.fg(x, stateColor)],
  ];
  if (status.detail) left.push(["  "], [status.detail]);
  if (ui.paused) left.push(["  "], ["PAUSED", (x) => s.bold(s.fg(x, "yellow"))]);
  const right: Seg[] = [];
  // Loop health is the live program's: stale once disconnected, so it is left out then.
  const loop = status.state === "disconnected" ? undefined : state.loop;
  if (loop) {
    const d = (ns: number | undefined) =>
      ns === undefined ? "-" : formatDuration(ns, 1, s.ascii).text;
    right.push(["loop delay "], [`p50 ${d(loop.delayP50)} p99 ${d(loop.delayP99)}`]);
    if (loop.delayMax !== undefined) right.push([` max ${d(loop.delayMax)}`]);
    if (loop.utilization !== undefined) {
      const pct = Math.round(loop.utilization * 100);
      right.push(
        ["  util "],
        [`${pct}%`, (x) => s.fg(x, pct >= 90 ? "red" : pct >= 70 ? "yellow" : "green")],
      );
    }
  }
  if (state.droppedEvents > 0) right.push([`  dropped ${state.droppedEvents} events`]);
  const rightWidth = right.reduce((n, [t]) => n + widthOf(t), 0);
  if (rightWidth === 0 || rightWidth + 40 > width) return compose(left, width, s);
  // Two blank cells at least between the two halves, so a long status never runs into the rest.
  return compose(left, width - rightWidth - 2, s) + "  " + compose(right, rightWidth, s);
}
