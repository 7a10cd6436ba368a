// The part of a line that changed since the last frame, so the screen rewrites a few cells (a
// duration ticking) instead of the whole row: most of an idle console's cost is writing frames.
import { widthOf } from "./width.ts";

export interface LineChange {
  /** 1-based column where the rewrite starts. */
  col: number;
  /** The SGR sequences in force at that column, to re-establish before the text. */
  style: string;
  /** What to write from `col`. */
  text: string;
  /** True when `text` runs to the end of the line (clear after it); false when the rest is unchanged. */
  toEnd: boolean;
}

const SGR = /\x1b\[[0-9;]*m/g;

/** Moves `i` back to a point that is neither inside an escape sequence nor inside a grapheme. */
function safeBoundary(s: string, at: number): number {
  let i = at;
  const esc = s.lastIndexOf("\x1b", i - 1);
  if (esc >= 0) {
    const end = s.indexOf("m", esc);
    if (end === -1 || end >= i) i = esc;
  }
  // ASCII characters are whole graphemes on their own; anything else (a wide or combined one,
  // a surrogate pair) is stepped over backwards, so it is rewritten whole.
  while (i > 0 && (s.charCodeAt(i - 1) > 0x7e || (i < s.length && s.charCodeAt(i) > 0x7e))) i--;
  // Stepping back may land inside an escape again (after a non-ASCII character that followed one).
  const esc2 = s.lastIndexOf("\x1b", i - 1);
  if (esc2 >= 0) {
    const end = s.indexOf("m", esc2);
    if (end === -1 || end >= i) i = esc2;
  }
  return i;
}

function styleOf(prefix: string): string {
  return prefix.match(SGR)?.join("") ?? "";
}

function visibleWidth(s: string): number {
  return widthOf(s.replace(SGR, ""));
}

/** What to write to turn `prev` into `next` on screen (lines of text and SGR sequences only). */
export function lineChange(prev: string, next: string): LineChange {
  const max = Math.min(prev.length, next.length);
  let i = 0;
  while (i < max && prev.charCodeAt(i) === next.charCodeAt(i)) i++;
  i = safeBoundary(next, i);
  const head = next.slice(0, i);
  const col = visibleWidth(head) + 1;
  const style = styleOf(head);
  // The common tail, if the cells before it are as wide in both lines and styled the same: then
  // it already shows where it belongs and only the middle is written.
  let k = 0;
  const room = max - i;
  while (k < room && prev.charCodeAt(prev.length - 1 - k) === next.charCodeAt(next.length - 1 - k))
    k++;
  if (k > 0) {
    const endNext = safeBoundary(next, next.length - k);
    const endPrev = prev.length - (next.length - endNext);
    if (
      endNext > i &&
      endPrev >= i &&
      safeBoundary(prev, endPrev) === endPrev &&
      // The head is common to both, so comparing the middles is enough.
      visibleWidth(next.slice(i, endNext)) === visibleWidth(prev.slice(i, endPrev)) &&
      styleOf(next.slice(i, endNext)) === styleOf(prev.slice(i, endPrev))
    ) {
      return { col, style, text: next.slice(i, endNext), toEnd: false };
    }
  }
  return { col, style, text: next.slice(i), toEnd: true };
}
