// The trace page's JSON view: the trace as Jaeger's API gives it, or as OTLP/JSON (the viewer's
// v3 API, for stored traces), pretty or raw; a big trace shows its first 2 MB, and the whole of
// it downloads.
import { useEffect, useMemo, useState } from "react";
import type { Trace } from "../lib/jaeger.ts";

const SHOW_CHARS = 2_000_000;
/** Past this many spans the JSON is made only on request: a 200,000-span trace is 100+ MB of it. */
const ASK_ABOVE = 20_000;

type Form = "jaeger" | "otlp";

export function JsonView(props: { trace: Trace; uploaded: boolean }) {
  const [form, setForm] = useState<Form>("jaeger");
  const [pretty, setPretty] = useState(true);
  const [otlp, setOtlp] = useState<{ value?: unknown; error?: string } | null>(null);
  const [asked, setAsked] = useState(props.trace.spans.length <= ASK_ABOVE);

  useEffect(() => {
    if (form !== "otlp" || otlp || props.uploaded || !asked) return;
    const ac = new AbortController();
    fetch(`/api/v3/traces/${encodeURIComponent(props.trace.traceID)}`, { signal: ac.signal })
      .then(async (r) => {
        const body = (await r.json()) as { result?: unknown; error?: { message?: string } };
        if (!r.ok || !body.result) throw new Error(body.error?.message ?? `HTTP ${r.status}`);
        setOtlp({ value: body.result });
      })
      .catch((e: Error) => {
        if (e.name !== "AbortError")
          setOtlp({ error: `The viewer did not give OTLP: ${e.message}` });
      });
    return () => ac.abort();
  }, [form, otlp, props.uploaded, props.trace.traceID, asked]);

  const value = !asked ? undefined : form === "jaeger" ? { data: [props.trace] } : otlp?.value;
  const text = useMemo(
    () => (value === undefined ? "" : JSON.stringify(value, null, pretty ? 2 : undefined)),
    [value, pretty],
  );
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `trace-${props.trace.traceID.replace(/[^0-9a-zA-Z]/g, "").slice(0, 32)}-${form}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className="view-body scroll">
      <div className="view-tools">
        <div className="segmented" role="radiogroup" aria-label="JSON form">
          {(
            [
              ["jaeger", "Jaeger"],
              ["otlp", "OTLP"],
            ] as const
          ).map(([f, label]) => (
            <label key={f} className={form === f ? "seg active" : "seg"}>
              <input
                type="radio"
                name="json-form"
                checked={form === f}
                onChange={() => setForm(f)}
              />
              {label}
            </label>
          ))}
        </div>
        <label className="inline check">
          <input type="checkbox" checked={pretty} onChange={(e) => setPretty(e.target.checked)} />
          Pretty
        </label>
        <button type="button" className="btn" onClick={download} disabled={!text}>
          Download this form
        </button>
        <span className="muted">{(text.length / 1e6).toFixed(2)} MB</span>
      </div>
      {!asked && (
        <p>
          This trace has {props.trace.spans.length.toLocaleString("en")} spans: its JSON is large.{" "}
          <button type="button" className="btn" onClick={() => setAsked(true)}>
            Show the JSON
          </button>
        </p>
      )}
      {form === "otlp" && props.uploaded && (
        <p className="muted">
          This trace was opened from a file, so the viewer has no OTLP form of it; the Jaeger form
          is what the file held.
        </p>
      )}
      {form === "otlp" && otlp?.error && (
        <div className="error-box" role="alert">
          {otlp.error}
        </div>
      )}
      {form === "otlp" && !props.uploaded && !otlp && asked && (
        <p className="muted">Loading OTLP…</p>
      )}
      {text && (
        <pre className="json" data-testid="json-text">
          {text.length > SHOW_CHARS ? text.slice(0, SHOW_CHARS) : text}
        </pre>
      )}
      {text.length > SHOW_CHARS && (
        <p className="muted" role="status">
          Showing the first {SHOW_CHARS / 1e6} MB of {(text.length / 1e6).toFixed(1)} MB; download
          for the whole of it.
        </p>
      )}
    </div>
  );
}
