// A resource's details and the async ops waiting on it; Enter jumps to the op's task.
import { ASYNC_OP_COLUMNS } from "../columns.ts";
import type { AsyncOp } from "../model.ts";
import { opBusyAt, opIdleAt, opTotalAt } from "../task-math.ts";
import { widthOf } from "../width.ts";
import { headerLine } from "./header.ts";
import { resourceParent } from "./resources.ts";
import type { Scene } from "./scene.ts";
import { type Column, cell, headerRow, layoutColumns, row, usedWidth } from "./table.ts";
import { asciiControls, taskLabel } from "./tasks.ts";
import { blank, box, compose, controls, labelled } from "./text.ts";

const RESOURCE_DETAIL_CONTROLS: Array<[string, string]> = [
  ["esc", "back"],
  ["↑↓ jk", "scroll"],
  ["←→", "sort column"],
  ["enter", "task details"],
  ["?", "help"],
  ["q", "quit"],
];

export function opTaskLabel(sc: Scene, op: AsyncOp): string {
  if (op.taskSpanId === undefined) return "";
  const t = sc.state.tasks.get(op.taskSpanId);
  return t ? taskLabel(t) : "";
}

export function resourceView(sc: Scene, width: number, height: number): string[] {
  const { state, ui, styles: s } = sc;
  const out = [
    headerLine(sc, width),
    ...controls(asciiControls(RESOURCE_DETAIL_CONTROLS, s), width, s),
  ];
  const r = ui.resource === undefined ? undefined : state.resources.get(ui.resource);
  if (!r) {
    out.push(compose([["This resource is gone. Esc goes back."]], width, s));
    while (out.length < height) out.push(blank(width));
    return out.slice(0, height);
  }
  // The details view cuts nothing: a long value wraps onto the following lines.
  const line = (label: string, value: string) => labelled(label, value, width - 2, s);
  const total = (r.droppedAt ?? state.now) - r.createdAt;
  const info = [
    ...line("ID: ", `${r.seq} (${r.visibility})`),
    ...line("Parent: ", resourceParent(sc, r) || "-"),
    ...line("Kind: ", r.kind),
    ...line("Type: ", r.concreteType),
    ...line("Target: ", r.target),
    ...line("Location: ", r.location),
    compose([["Total: ", (x) => s.bold(x)], s.durationSeg(total, 2)], width - 2, s),
  ];
  if (r.attributes.length === 0) info.push(...line("Attributes: ", "-"));
  else if (widthOf(`Attributes: ${r.attributesText}`) <= width - 2) {
    info.push(...line("Attributes: ", r.attributesText));
  } else {
    info.push(compose([["Attributes:", (x) => s.bold(x)]], width - 2, s));
    for (const a of r.attributes) info.push(...line("  ", a));
  }
  // Leave the async ops table at least a header and a row.
  const infoRows = Math.min(info.length, Math.max(1, height - out.length - 2 - 4));
  out.push(...box([["Resource", (x) => s.bold(x)]], info, width, infoRows + 2, s));

  const ops = sc.rows.asyncOps(state, r.spanId, ui.ops);
  const boxHeight = Math.max(3, height - out.length);
  const page = Math.max(1, boxHeight - 3);
  ui.ops.clamp(ops.length, page);
  const inner = width - 2;
  const cols: Column[] = layoutColumns(
    [
      { title: ASYNC_OP_COLUMNS[0], width: 4, align: "right" },
      { title: ASYNC_OP_COLUMNS[1], width: 6, align: "right" },
      { title: ASYNC_OP_COLUMNS[2], width: 16 },
      { title: ASYNC_OP_COLUMNS[3], width: 24 },
      { title: ASYNC_OP_COLUMNS[4], width: 6, align: "right" },
      { title: ASYNC_OP_COLUMNS[5], width: 6, align: "right" },
      { title: ASYNC_OP_COLUMNS[6], width: 6, align: "right" },
      { title: ASYNC_OP_COLUMNS[7], width: 5, align: "right" },
      { title: ASYNC_OP_COLUMNS[8], width: 10 },
    ],
    inner,
  );
  const used = usedWidth(cols);
  const body = [headerRow(cols, ui.ops.column, ui.ops.descending, inner, s)];
  if (ops.length === 0) body.push(compose([["  no async ops"]], inner, s));
  const end = Math.min(ops.length, ui.ops.offset + page);
  for (let i = ui.ops.offset; i < end; i++) {
    const op = ops[i] as AsyncOp;
    const parent = op.parentSpanId === undefined ? undefined : state.asyncOps.get(op.parentSpanId);
    const cells = [
      cell(String(op.seq), cols[0], s),
      cell(parent ? String(parent.seq) : "", cols[1], s),
      cell(opTaskLabel(sc, op), cols[2], s),
      cell(op.source, cols[3], s),
      cols[4] && s.duration(opTotalAt(op, state.now), 0, cols[4].width),
      cols[5] && s.duration(opBusyAt(op, state.now), 0, cols[5].width),
      cols[6] && s.duration(opIdleAt(op, state.now), 0, cols[6].width),
      cell(String(op.polls), cols[7], s),
      cell(op.attributesText, cols[8], s),
    ];
    let l = row(cells, i === ui.ops.selected, used, inner, s);
    if (op.droppedAt !== undefined) l = s.rowDim(l);
    if (i === ui.ops.selected) l = s.rowReverse(l);
    body.push(l);
  }
  out.push(...box([[`Async Ops (${ops.length})`, (x) => s.bold(x)]], body, width, boxHeight, s));
  while (out.length < height) out.push(blank(width));
  return out.slice(0, height);
}
