// A generic table: column widths, a header with the sort arrow, a selection gutter, and a
// window of rows around the selection. Row cells arrive as fitted, painted strings.
import type { Styles } from "../styles.ts";
import { fit } from "../width.ts";
import { compose, type Seg } from "./text.ts";

export interface Column {
  title: string;
  width: number;
  align?: "left" | "right";
  /** The column's index among all of the table's columns, when some are hidden at this width. */
  key?: number;
}

/** The last column takes whatever width is left; the others keep theirs. */
export function layoutColumns(cols: Column[], width: number): Column[] {
  const gutter = 2;
  let used = gutter;
  const out: Column[] = [];
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i] as Column;
    const sep = i === 0 ? 0 : 1;
    const room = width - used - sep;
    if (room <= 0) break;
    // Room for the title and the sort arrow, so the header never truncates.
    const natural = Math.max(c.width, c.title.length + 1);
    const w = i === cols.length - 1 ? room : Math.min(natural, room);
    out.push({ ...c, width: w });
    used += sep + w;
  }
  return out;
}

export function headerRow(
  cols: Column[],
  sortColumn: number,
  descending: boolean,
  width: number,
  s: Styles,
): string {
  const segs: Seg[] = [["  "]];
  cols.forEach((c, i) => {
    if (i > 0) segs.push([" "]);
    const sorted = (c.key ?? i) === sortColumn;
    const title = sorted ? c.title + (descending ? s.sym.desc : s.sym.asc) : c.title;
    const text = fit(title, c.width, c.align ?? "left", s.sym.ellipsis);
    segs.push([text, (x) => (sorted ? s.fg(s.bold(x), "cyan") : s.bold(x))]);
  });
  return compose(segs, width, s);
}

/** One cell: fitted to its column, then painted. */
export function cell(
  text: string,
  col: Column | undefined,
  s: Styles,
  paint?: (x: string) => string,
) {
  if (!col) return undefined;
  const t = fit(text, col.width, col.align ?? "left", s.sym.ellipsis);
  return paint ? paint(t) : t;
}

/** Joins cells into a row of exactly `width` cells with the selection gutter. */
export function row(
  cells: Array<string | undefined>,
  selected: boolean,
  used: number,
  width: number,
  s: Styles,
) {
  const present = cells.filter((c): c is string => c !== undefined);
  const body = (selected ? `${s.sym.selected} ` : "  ") + present.join(" ");
  const pad = width - used;
  return body + (pad > 0 ? " ".repeat(pad) : "");
}

/** Sum of the column widths plus gutter and separators: the visible width of `row`. */
export function usedWidth(cols: Column[]): number {
  return cols.reduce((n, c, i) => n + c.width + (i === 0 ? 0 : 1), 2);
}
