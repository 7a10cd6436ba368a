// Makes every string that came over the wire inert before it reaches the terminal: escape
// sequences, C0/C1 controls and bidi overrides are removed, and overlong strings are capped.

// ESC followed by a CSI, OSC, DCS/SOS/PM/APC string, or a two-byte sequence (nF/Fp/Fe/Fs).
const ESCAPE_SEQUENCE =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -/]*[0-~]?)/g;
// Whitespace controls become a space so words stay apart; every other control goes.
const WHITESPACE_CONTROLS = /[\t\n\v\f\r\u2028\u2029\u0085]/g;
// C0, DEL, C1, and the bidi embeddings, overrides, isolates and marks that can reorder what
// the user reads (the "Trojan Source" family).
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SAFE = /^[\x20-\x7e]*$/;

/** The longest string kept from the wire; a field value of megabytes would only slow frames. */
export const MAX_WIRE_STRING = 512;

/** Returns `s` with nothing left that a terminal would interpret. */
export function sanitize(s: unknown): string {
  if (s === undefined || s === null) return "";
  let text = typeof s === "string" ? s : String(s);
  if (text.length > MAX_WIRE_STRING * 2) text = text.slice(0, MAX_WIRE_STRING * 2);
  if (!SAFE.test(text)) {
    text = text
      .replace(LONE_SURROGATE, "\uFFFD")
      .replace(ESCAPE_SEQUENCE, "")
      .replace(WHITESPACE_CONTROLS, " ")
      .replace(CONTROLS, "");
  }
  if (text.length > MAX_WIRE_STRING) text = `${text.slice(0, MAX_WIRE_STRING - 1)}…`;
  return text;
}
