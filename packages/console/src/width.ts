// Display width of sanitized text and fitting it into a column: wide (CJK, emoji) characters
// take two cells, so slicing by code units would misalign every column after them.
import stringWidth from "string-width";

const ASCII = /^[\x20-\x7e]*$/;
const segmenter = new Intl.Segmenter();

/** Widths of single code points that are always a grapheme of their own (see `simple`). */
const cellWidths = new Map<number, number>();

/**
 * Latin, punctuation, arrows, box drawing, shapes and symbols: ranges with no combining marks,
 * joiners, variation selectors or surrogates, so each code unit is a whole grapheme and the
 * string's width is the sum of theirs. Table rows are made of these (│ ▶ ⏸ …).
 */
function simple(c: number): boolean {
  return (
    (c >= 0x20 && c < 0x7f) ||
    (c >= 0xa0 && c < 0x300) ||
    (c >= 0x2010 && c < 0x2028) ||
    (c >= 0x2030 && c < 0x205f) ||
    (c >= 0x2100 && c < 0x2c00)
  );
}

export function widthOf(s: string): number {
  if (ASCII.test(s)) return s.length;
  // Per code unit from a cache, which string-width's grapheme segmentation would cost per call
  // (it showed in the console's idle CPU, measuring table rows every frame).
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!simple(c)) return stringWidth(s);
    let w = cellWidths.get(c);
    if (w === undefined) {
      w = stringWidth(String.fromCharCode(c));
      cellWidths.set(c, w);
    }
    n += w;
  }
  return n;
}

/** Cuts `s` to at most `width` cells, ending with `ellipsis` when something was cut. */
export function truncate(s: string, width: number, ellipsis = "…"): string {
  if (width <= 0) return "";
  if (ASCII.test(s)) {
    return s.length <= width ? s : s.slice(0, Math.max(0, width - 1)) + ellipsis.slice(0, width);
  }
  if (widthOf(s) <= width) return s;
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

/** Splits `s` into pieces of at most `width` cells each (a wide character is never split). */
export function wrap(s: string, width: number): string[] {
  if (width <= 0) return [s];
  if (widthOf(s) <= width) return [s];
  const out: string[] = [];
  let cur = "";
  let used = 0;
  for (const { segment } of segmenter.segment(s)) {
    const w = widthOf(segment);
    if (used + w > width && cur !== "") {
      out.push(cur);
      cur = "";
      used = 0;
    }
    cur += segment;
    used += w;
  }
  if (cur !== "" || out.length === 0) out.push(cur);
  return out;
}

/**
 * Fits a `path/to/file.ts:12:5` location into `width` cells by cutting from the left, so the
 * file name and line survive a narrow column: "…/server.ts:131:5".
 */
export function fitLocation(s: string, width: number, ellipsis = "…"): string {
  const w = widthOf(s);
  if (w <= width) return s + " ".repeat(width - w);
  const room = width - widthOf(ellipsis);
  if (room <= 0) return ellipsis.slice(0, Math.max(0, width));
  // Prefer a cut at a directory boundary ("…/server.ts:131:5"), else keep the last cells.
  let tail: string | undefined;
  for (let i = s.indexOf("/"); i >= 0; i = s.indexOf("/", i + 1)) {
    if (widthOf(s.slice(i)) <= room) {
      tail = s.slice(i);
      break;
    }
  }
  if (tail === undefined) {
    const segs = [...segmenter.segment(s)].map((x) => x.segment);
    tail = "";
    let used = 0;
    for (let i = segs.length - 1; i >= 0; i--) {
      const sw = widthOf(segs[i] as string);
      if (used + sw > room) break;
      tail = (segs[i] as string) + tail;
      used += sw;
    }
  }
  const out = ellipsis + tail;
  return out + " ".repeat(Math.max(0, width - widthOf(out)));
}
