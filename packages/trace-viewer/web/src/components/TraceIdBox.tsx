// The top bar's trace-id box, as Jaeger UI has: one id opens the trace, two (space or comma
// separated) open Compare. A malformed id gets a sentence instead of a 404 page.
import { type FormEvent, useState } from "react";
import { navigate, traceHref } from "../lib/router.tsx";
import { parseTraceIds } from "../lib/trace-ids.ts";

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
