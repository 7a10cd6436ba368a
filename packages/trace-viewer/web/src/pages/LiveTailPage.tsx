// /tail: traces as they arrive. Polls the viewer's tail endpoint with a cursor, so each poll
// returns only traces that got new spans; a trace that grows is replaced in place.
import { useEffect, useRef, useState } from "react";
import { getServices } from "../lib/api.ts";
import { formatDuration, formatTime } from "../lib/format.ts";
import { Link, traceHref } from "../lib/router.tsx";

interface TailItem {
  traceID: string;
  rootServiceName: string;
  rootOperationName: string;
  startTime: number;
  duration: number;
  spanCount: number;
  errorSpanCount: number;
  services?: string[];
}

const KEEP = 200;
const POLL_MS = 1000;

export function LiveTailPage() {
  const [services, setServices] = useState<string[]>([]);
  const [service, setService] = useState("");
  const [paused, setPaused] = useState(false);
  const [items, setItems] = useState<TailItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const cursor = useRef<string | null>(null);

  useEffect(() => {
    getServices().then(setServices, () => setServices([]));
  }, []);

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const p = new URLSearchParams({ limit: "50" });
      if (service) p.set("service", service);
      if (cursor.current) p.set("since", cursor.current);
      try {
        const res = await fetch(`/api/periscope/tail?${p}`);
        if (!res.ok) throw new Error(`the viewer answered ${res.status}`);
        const body = (await res.json()) as { cursor?: string; data?: TailItem[] };
        if (stopped) return;
        if (typeof body.cursor === "string") cursor.current = body.cursor;
        const fresh = Array.isArray(body.data) ? body.data : [];
        if (fresh.length > 0) {
          setItems((old) => {
            const ids = new Set(fresh.map((t) => t.traceID));
            return [...fresh, ...old.filter((t) => !ids.has(t.traceID))]
              .sort((x, y) => y.startTime - x.startTime)
              .slice(0, KEEP);
          });
        }
        setError(null);
      } catch (e) {
        if (!stopped) setError(`Live tail paused: ${(e as Error).message}. Retrying…`);
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [paused, service]);

  return (
    <main className="page">
      <div className="tail-bar">
        <h1>Live tail</h1>
        <select
          value={service}
          onChange={(e) => {
            cursor.current = null;
            setItems([]);
            setService(e.target.value);
          }}
          aria-label="Service"
        >
          <option value="">all services</option>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="button" className="btn" onClick={() => setPaused((p) => !p)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <span className={paused ? "pulse off" : "pulse"} aria-hidden="true" />
        <span className="muted">{paused ? "paused" : "watching for new traces"}</span>
      </div>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      {items.length === 0 && !error && <div className="empty">No traces yet.</div>}
      <table className="tail-table" data-testid="tail-table">
        <tbody>
          {items.map((t) => (
            <tr key={t.traceID} className={t.errorSpanCount > 0 ? "has-error" : undefined}>
              <td className="muted">{formatTime(t.startTime).slice(11)}</td>
              <td>
                <Link to={traceHref(t.traceID)}>
                  <span className="svc">{t.rootServiceName}:</span> {t.rootOperationName}
                </Link>
              </td>
              <td>{formatDuration(t.duration)}</td>
              <td>{t.spanCount} spans</td>
              <td>
                {t.errorSpanCount > 0 ? (
                  <span className="chip error">{t.errorSpanCount} errors</span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
