// Inline commands, as typed into telnet or sent by `redis-benchmark -t ping_inline`: a line of
// blank-separated arguments with Redis's quoting rules (`sdssplitargs`).
import type { Args } from "./args.ts";

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

const ESCAPES: Record<number, number> = { 110: 0x0a, 114: 0x0d, 116: 0x09, 98: 0x08, 97: 0x07 };

/**
 * Splits an inline command into arguments with the rules of Redis's `sdssplitargs`: blanks
 * separate arguments; "double quotes" allow \n \r \t \b \a \xHH and \" escapes; 'single quotes'
 * only \'; a closing quote must be followed by a blank. Returns false on unbalanced quotes.
 */
export function splitInline(
  src: Buffer,
  start: number,
  end: number,
  dst: Buffer,
  args: Args,
): boolean {
  let p = start;
  let w = 0;
  while (true) {
    while (p < end && isSpace(src[p]!)) p++;
    if (p >= end || src[p] === 0) return true;
    const argStart = w;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = p < end ? src[p]! : 0;
      if (inDouble) {
        if (c === 0x5c && src[p + 1] === 0x78 && p + 3 < end) {
          const hi = hexValue(src[p + 2]);
          const lo = hexValue(src[p + 3]);
          if (hi >= 0 && lo >= 0) {
            dst[w++] = hi * 16 + lo;
            p += 3;
          } else {
            dst[w++] = 0x78;
            p += 1;
          }
        } else if (c === 0x5c && p + 1 < end) {
          p++;
          const e = src[p]!;
          dst[w++] = ESCAPES[e] ?? e;
        } else if (c === 0x22) {
          if (p + 1 < end && !isSpace(src[p + 1]!)) return false;
          done = true;
        } else if (p >= end) {
          return false;
        } else {
          dst[w++] = c;
        }
      } else if (inSingle) {
        if (c === 0x5c && src[p + 1] === 0x27 && p + 1 < end) {
          p++;
          dst[w++] = 0x27;
        } else if (c === 0x27) {
          if (p + 1 < end && !isSpace(src[p + 1]!)) return false;
          done = true;
        } else if (p >= end) {
          return false;
        } else {
          dst[w++] = c;
        }
      } else if (p >= end || c === 0 || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        done = true;
      } else if (c === 0x22) {
        inDouble = true;
      } else if (c === 0x27) {
        inSingle = true;
      } else {
        dst[w++] = c;
      }
      if (p < end) p++;
    }
    args.push(argStart, w);
  }
}
