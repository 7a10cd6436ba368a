// Building blocks for screen lines: styled segments fitted to an exact width, and boxes with
// titles. Every line a view returns is exactly `width` cells wide, so the diff stays simple.
import type { Styles } from "../styles.ts";
import { truncate, widthOf, wrap } from "../width.ts";

/** Raw (sanitized) text and how to paint it once it has been fitted. */
export type Seg = [text: string, paint?: (s: string) => string];

/** Concatenates segments, cutting at `width` cells and padding to exactly `width`. */
export function compose(segs: Seg[], width: number, s: Styles): string {
  let out = "";
  let left = width;
  for (const [text, paint] of segs) {
    if (left <= 0) break;
    const w = widthOf(text);
    const t = w <= left ? text : truncate(text, left, s.sym.ellipsis);
    left -= w <= left ? w : widthOf(t);
    out += paint ? paint(t) : t;
  }
  return left > 0 ? out + " ".repeat(left) : out;
}

export function blank(width: number): string {
  return " ".repeat(Math.max(0, width));
}

/** "┌ Title ────┐" with the title segments cut to fit. */
export function boxTop(title: Seg[], width: number, s: Styles): string {
  if (width < 2) return blank(width);
  const inner = width - 2;
  const titleText = title.length ? [[s.sym.h] as Seg, ...title, [" "] as Seg] : [];
  const plainWidth = titleText.reduce((n, [t]) => n + widthOf(t), 0);
  if (plainWidth === 0) return s.sym.tl + s.sym.h.repeat(inner) + s.sym.tr;
  const head = compose(titleText, Math.min(inner, plainWidth), s);
  return s.sym.tl + head + s.sym.h.repeat(Math.max(0, inner - plainWidth)) + s.sym.tr;
}

export function boxBottom(width: number, s: Styles): string {
  if (width < 2) return blank(width);
  return s.sym.bl + s.sym.h.repeat(width - 2) + s.sym.br;
}

/**
 * A box of exactly `height` lines around `body` (already `width - 2` wide); extra body lines
 * are dropped, missing ones are blank.
 */
export function box(title: Seg[], body: string[], width: number, height: number, s: Styles) {
  if (height <= 0) return [];
  if (height === 1) return [boxTop(title, width, s)];
  const out = [boxTop(title, width, s)];
  for (let i = 0; i < height - 2; i++) out.push(s.sym.v + (body[i] ?? blank(width - 2)) + s.sym.v);
  out.push(boxBottom(width, s));
  return out;
}

/** Two equally tall column blocks side by side. */
export function beside(left: string[], right: string[]): string[] {
  return left.map((l, i) => l + (right[i] ?? ""));
}

/** Key hints, wrapped onto as many lines as needed (at most `max`). */
export function controls(
  pairs: Array<[string, string]>,
  width: number,
  s: Styles,
  max = 2,
): string[] {
  const lines: Seg[][] = [[]];
  let used = 0;
  for (const [keys, action] of pairs) {
    const w = widthOf(keys) + 3 + widthOf(action) + 2;
    if (used > 0 && used + w > width && lines.length < max) {
      lines.push([]);
      used = 0;
    }
    (lines[lines.length - 1] as Seg[]).push([keys, (x) => s.bold(x)], [` = ${action}`], ["  "]);
    used += w;
  }
  return lines.map((l) => compose(l, width, s));
}

/** "Label: value" with a value too long for one line wrapped under itself (nothing is cut). */
export function labelled(label: string, value: string, width: number, s: Styles): string[] {
  const indent = widthOf(label);
  const room = Math.max(1, width - indent);
  const parts = wrap(value, room);
  return parts.map((p, i) =>
    compose(i === 0 ? [[label, (x) => s.bold(x)], [p]] : [[" ".repeat(indent)], [p]], width, s),
  );
}
