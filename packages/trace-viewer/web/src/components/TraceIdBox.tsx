// The top bar's trace-id box, as Jaeger UI has: one id opens the trace, two (space or comma
// separated) open Compare. A malformed id gets a sentence instead of a 404 page.
import { type FormEvent, useState } from "react";
import { navigate, traceHref } from "../lib/router.tsx";

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

export function TraceIdBox() {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const ids = parseTraceIds(text);
    if (typeof ids === "string") return setError(ids);
    setError(null);
    setText("");
    navigate(traceHref(ids.join("...")));
  };
  return (
    <form className="trace-id-box" onSubmit={submit} aria-label="Look up a trace">
      <input
        type="search"
        placeholder="Lookup by Trace ID…"
        aria-label="Trace ID"
        value={text}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          setError(null);
        }}
      />
      {error && (
        <span className="upload-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
