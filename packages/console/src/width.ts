// Display width of sanitized text and fitting it into a column: wide (CJK, emoji) characters
// take two cells, so slicing by code units would misalign every column after them.
import stringWidth from "string-width";

const ASCII = /^[\x20-\x7e]*$/;
const segmenter = new Intl.Segmenter();

export function widthOf(s: string): number {
  return ASCII.test(s) ? s.length : stringWidth(s);
}

/** Cuts `s` to at most `width` cells, ending with `ellipsis` when something was cut. */
export function truncate(s: string, width: number, ellipsis = "…"): string {
  if (width <= 0) return "";
  if (ASCII.test(s)) {
    return s.length <= width ? s : s.slice(0, Math.max(0, width - 1)) + ellipsis.slice(0, width);
  }
  if (stringWidth(s) <= width) return s;
  let out = "";
  let used = 0;
  for (const { segment } of segmenter.segment(s)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + ellipsis;
}

/** Exactly `width` cells: truncated, then padded left (`right` alignment) or right. */
export function fit(s: string, width: number, align: "left" | "right" = "left", ellipsis = "…") {
  const t = truncate(s, width, ellipsis);
  const pad = width - widthOf(t);
  if (pad <= 0) return t;
  return align === "left" ? t + " ".repeat(pad) : " ".repeat(pad) + t;
}
