// The search page's empty state: where to send traces, read from the viewer's own info endpoint,
// so a first-time user sees the exact OTLP address this viewer listens on.
import { useEffect, useState } from "react";

interface Info {
  storage?: string;
  dataDir?: string | null;
  otlpHttp?: string | null;
  otlpGrpc?: string | null;
  traceCount?: number;
  spanCount?: number;
}

export function GettingStarted() {
  const [info, setInfo] = useState<Info | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    fetch("/api/periscope/info", { signal: ac.signal })
      .then((r) => (r.ok ? (r.json() as Promise<Info>) : null))
      .then(setInfo, () => setInfo(null));
    return () => ac.abort();
  }, []);
  const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");
  return (
    <div className="empty">
      <h2>Find traces</h2>
      <p>Pick a service and press Find Traces, or open a trace JSON file.</p>
      {info && (
        <div className="getting-started" data-testid="getting-started">
          {info.otlpHttp && (
            <p>
              OTLP/HTTP: <code>{`${text(info.otlpHttp)}/v1/traces`}</code>
            </p>
          )}
          {info.otlpGrpc && (
            <p>
              OTLP/gRPC: <code>{text(info.otlpGrpc)}</code>
            </p>
          )}
          <p className="muted">
            {typeof info.traceCount === "number" ? `${info.traceCount} traces, ` : ""}
            {text(info.spanCount) || "0"} spans stored
            {info.storage === "memory"
              ? " in memory"
              : info.dataDir
                ? ` in ${text(info.dataDir)}`
                : ""}
            .
          </p>
        </div>
      )}
    </div>
  );
}
