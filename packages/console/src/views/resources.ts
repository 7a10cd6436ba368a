// The resources table (`r`): every Mutex, Semaphore, channel and timer the server reports.
import { RESOURCE_COLUMNS } from "../columns.ts";
import type { Resource } from "../model.ts";
import { widthOf } from "../width.ts";
import { headerLine } from "./header.ts";
import type { Scene } from "./scene.ts";
import { type Column, cell, headerRow, layoutColumns, row, usedWidth } from "./table.ts";
import { asciiControls, TABLE_CONTROLS } from "./tasks.ts";
import { blank, box, compose, controls, type Seg } from "./text.ts";

const RESOURCE_CONTROLS = TABLE_CONTROLS.filter(([k]) => k !== "T");

export function resourceParent(sc: Scene, r: Resource): string {
  if (r.parentSpanId === undefined) return "";
  const p = sc.state.resources.get(r.parentSpanId);
  return p ? String(p.seq) : "";
}

export function resourcesView(sc: Scene, width: number, height: number): string[] {
  const { state, ui, styles: s } = sc;
  const rows = sc.rows.resources(state, ui.resources, ui.filter);
  const out = [headerLine(sc, width), ...controls(asciiControls(RESOURCE_CONTROLS, s), width, s)];
  const boxHeight = Math.max(3, height - out.length);
  const page = Math.max(1, boxHeight - 3);
  ui.resources.follow(rows, (r) => r.spanId, page);

  const title: Seg[] = [[`Resources (${rows.length})`, (x) => s.bold(x)]];
  if (ui.filter || ui.editingFilter) {
    title.push([` filter: ${ui.filter}${ui.editingFilter ? "_" : ""}`, (x) => s.fg(x, "cyan")]);
  }
  const w = { id: 2, parent: 6, kind: 4, target: 6, type: 4, location: 8 };
  for (const r of rows) {
    w.id = Math.max(w.id, String(r.seq).length);
    w.kind = Math.max(w.kind, widthOf(r.kind));
    w.target = Math.max(w.target, widthOf(r.target));
    w.type = Math.max(w.type, widthOf(r.concreteType));
    w.location = Math.max(w.location, widthOf(r.location));
  }
  const inner = width - 2;
  const cols: Column[] = layoutColumns(
    [
      { title: RESOURCE_COLUMNS[0], width: w.id, align: "right" },
      { title: RESOURCE_COLUMNS[1], width: w.parent, align: "right" },
      { title: RESOURCE_COLUMNS[2], width: Math.min(w.kind, 16) },
      { title: RESOURCE_COLUMNS[3], width: 6, align: "right" },
      { title: RESOURCE_COLUMNS[4], width: Math.min(w.target, 24) },
      { title: RESOURCE_COLUMNS[5], width: Math.min(w.type, 24) },
      { title: RESOURCE_COLUMNS[6], width: 10 },
      { title: RESOURCE_COLUMNS[7], width: Math.min(w.location, 40) },
      { title: RESOURCE_COLUMNS[8], width: 10 },
    ],
    inner,
  );
  const used = usedWidth(cols);
  const body = [headerRow(cols, ui.resources.column, ui.resources.descending, inner, s)];
  if (rows.length === 0) {
    body.push(
      compose([[ui.filter ? "  no resource matches the filter" : "  no resources"]], inner, s),
    );
  }
  const end = Math.min(rows.length, ui.resources.offset + page);
  for (let i = ui.resources.offset; i < end; i++) {
    const r = rows[i] as Resource;
    const total = (r.droppedAt ?? state.now) - r.createdAt;
    const cells = [
      cell(String(r.seq), cols[0], s),
      cell(resourceParent(sc, r), cols[1], s),
      cell(r.kind, cols[2], s),
      cols[3] && s.duration(total, 0, cols[3].width),
      cell(r.target, cols[4], s),
      cell(r.concreteType, cols[5], s),
      cell(r.visibility === "internal" ? "internal" : "public", cols[6], s),
      cell(r.location, cols[7], s),
      cell(r.attributesText, cols[8], s),
    ];
    let line = row(cells, i === ui.resources.selected, used, inner, s);
    if (r.droppedAt !== undefined) line = s.rowDim(line);
    if (i === ui.resources.selected) line = s.rowReverse(line);
    body.push(line);
  }
  out.push(...box(title, body, width, boxHeight, s));
  while (out.length < height) out.push(blank(width));
  return out.slice(0, height);
}
