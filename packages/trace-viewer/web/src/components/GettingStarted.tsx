// The search page's empty state: where to send traces and where the data lives, read from the
// viewer's own info endpoint, so a first-time user sees the exact OTLP address this viewer listens
// on, the file its spans are kept in, how big it is and how long spans stay; and the traces
// opened from files that this browser keeps.
import { useEffect, useState } from "react";
import { formatAge, formatBytes } from "../lib/format.ts";
import { Link } from "../lib/router.tsx";
import { listUploads } from "../lib/uploads.ts";

interface Info {
  storage?: string;
  dataDir?: string | null;
  otlpHttp?: string | null;
  otlpGrpc?: string | null;
  spanCount?: number;
  storeBytes?: number;
  fileBytes?: number | null;
  maxBytes?: number;
  retentionMs?: number;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");

export function GettingStarted() {
  const [info, setInfo] = useState<Info | null>(null);
  const [uploads, setUploads] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    fetch("/api/periscope/info", { signal: ac.signal })
      .then((r) => (r.ok ? (r.json() as Promise<Info>) : null))
      .then(setInfo, () => setInfo(null));
    listUploads().then((l) => setUploads(l.length));
    return () => ac.abort();
  }, []);
  const spans = num(info?.spanCount) ?? 0;
  const size = num(info?.fileBytes) ?? num(info?.storeBytes);
  const cap = num(info?.maxBytes);
  const keep = num(info?.retentionMs);
  return (
    <div className="empty">
      <h2>Find traces</h2>
      <p>Pick a service and press Find Traces, look a trace up by id, or open a trace JSON file.</p>
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
          <p data-testid="data-home">
            {spans.toLocaleString("en")} spans stored{" "}
            {info.storage === "memory" ? (
              "in memory (nothing is written to disk; they go when the viewer stops)"
            ) : (
              <>
                in <code>{text(info.dataDir)}</code>
              </>
            )}
            {size !== undefined && `, ${formatBytes(size)}`}
            {cap ? ` (the oldest are dropped past ${formatBytes(cap)})` : " (no size cap)"}
            {keep ? `; spans older than ${formatAge(keep)} are dropped` : "; kept until deleted"}.
          </p>
        </div>
      )}
      {uploads > 0 && (
        <p>
          <Link to="/search?source=upload">
            {uploads} {uploads === 1 ? "trace" : "traces"} opened from files
          </Link>{" "}
          <span className="muted">{uploads === 1 ? "is" : "are"} kept in this browser.</span>
        </p>
      )}
    </div>
  );
}
