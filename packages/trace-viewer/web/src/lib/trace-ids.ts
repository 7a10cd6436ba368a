// What the top bar's trace-id box accepts: one trace id (1 to 32 hex digits) or two for Compare.
const HEX_ID = /^[0-9a-f]{1,32}$/i;

/** The ids typed in the box, or a sentence saying what is wrong. */
export function parseTraceIds(text: string): string[] | string {
  const ids = text
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (ids.length === 0) return "Type a trace id.";
  if (ids.some((id) => !HEX_ID.test(id)))
    return "A trace id is 1 to 32 hexadecimal digits (0-9, a-f).";
  if (ids.length > 2) return "One trace id opens it; two open Compare.";
  return ids.map((id) => id.toLowerCase());
}
