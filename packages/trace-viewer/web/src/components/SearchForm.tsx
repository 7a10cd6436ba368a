// The search form: service, operation, tags (logfmt), lookback, min/max duration, limit. It
// submits by navigating to /search?…, in Jaeger's URL format (tags as JSON).
import { type FormEvent, useEffect, useState } from "react";
import { getOperations, getServices, LOOKBACKS, lookbackUs, type SearchQuery } from "../lib/api.ts";
import { checkDuration } from "../lib/format.ts";
import { type LogfmtError, parseLogfmt, toLogfmt } from "../lib/logfmt.ts";
import { navigate } from "../lib/router.tsx";

export function queryFromUrl(q: URLSearchParams): SearchQuery {
  const limit = Number.parseInt(q.get("limit") ?? "", 10);
  return {
    service: q.get("service") ?? "",
    operation: q.get("operation") ?? undefined,
    tags: tagsFromUrl(q.get("tags")),
    lookback: lookbackFromUrl(q),
    start: numberParam(q.get("start")),
    end: numberParam(q.get("end")),
    minDuration: q.get("minDuration") ?? undefined,
    maxDuration: q.get("maxDuration") ?? undefined,
    limit: Number.isFinite(limit) && limit > 0 ? Math.min(limit, 1500) : 20,
  };
}

function numberParam(s: string | null): number | undefined {
  const n = Number(s);
  return s && Number.isFinite(n) ? n : undefined;
}

function lookbackFromUrl(q: URLSearchParams): string {
  const l = q.get("lookback") ?? "";
  if (lookbackUs(l) !== null) return l;
  // Jaeger UI writes lookback=custom (or none) with start/end for a chosen window.
  if (numberParam(q.get("start")) !== undefined && numberParam(q.get("end")) !== undefined)
    return "custom";
  return "1h";
}

function tagsFromUrl(raw: string | null): Record<string, string> | undefined {
  if (!raw) return undefined;
  try {
    if (raw.trim().startsWith("{")) {
      const obj = JSON.parse(raw) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, String(v)]));
    }
    return parseLogfmt(raw);
  } catch {
    return undefined;
  }
}

/** "YYYY-MM-DDTHH:MM:SS" in local time, what a datetime-local input holds. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function SearchForm(props: { query: URLSearchParams }) {
  const initial = queryFromUrl(props.query);
  const [services, setServices] = useState<string[] | null>(null);
  const [servicesError, setServicesError] = useState<string | null>(null);
  const [operations, setOperations] = useState<string[]>([]);
  const [service, setService] = useState(initial.service);
  const [operation, setOperation] = useState(initial.operation ?? "");
  const [tags, setTags] = useState(initial.tags ? toLogfmt(initial.tags) : "");
  const [lookback, setLookback] = useState(initial.lookback);
  const [minDuration, setMinDuration] = useState(initial.minDuration ?? "");
  const [maxDuration, setMaxDuration] = useState(initial.maxDuration ?? "");
  const [limit, setLimit] = useState(String(initial.limit));
  // The custom range, as the datetime-local inputs hold it (local time, to the second).
  const [from, setFrom] = useState(() =>
    toLocalInput(initial.start !== undefined ? initial.start / 1000 : Date.now() - 3600e3),
  );
  const [to, setTo] = useState(() =>
    toLocalInput(initial.end !== undefined ? initial.end / 1000 : Date.now()),
  );
  const [formError, setFormError] = useState<string | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    getServices(ac.signal).then(
      (list) => {
        setServices(list);
        setService((s) => s || (list.length === 1 ? (list[0] ?? "") : s));
      },
      (e: Error) => e.name !== "AbortError" && setServicesError(e.message),
    );
    return () => ac.abort();
  }, []);

  useEffect(() => {
    if (!service) return setOperations([]);
    const ac = new AbortController();
    getOperations(service, ac.signal).then(setOperations, () => setOperations([]));
    return () => ac.abort();
  }, [service]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!service) return setFormError("Pick a service first.");
    let parsed: Record<string, string> = {};
    try {
      parsed = parseLogfmt(tags);
    } catch (err) {
      return setFormError(
        `Tags: ${(err as LogfmtError).message}. Write them as key=value, e.g. error=true`,
      );
    }
    for (const [label, v] of [
      ["Min duration", minDuration],
      ["Max duration", maxDuration],
    ] as const) {
      const problem = checkDuration(v);
      if (problem) return setFormError(`${label}: ${problem}.`);
    }
    const n = Number.parseInt(limit, 10);
    if (!Number.isFinite(n) || n < 1 || n > 1500) return setFormError("Limit: 1 to 1500.");
    setFormError(null);
    const p = new URLSearchParams();
    p.set("service", service);
    if (operation) p.set("operation", operation);
    if (Object.keys(parsed).length > 0) p.set("tags", JSON.stringify(parsed));
    p.set("lookback", lookback);
    if (lookback === "custom") {
      const a = Date.parse(from);
      const b = Date.parse(to);
      if (!Number.isFinite(a) || !Number.isFinite(b))
        return setFormError("Custom range: give both a start and an end.");
      if (a >= b) return setFormError("Custom range: the start must be before the end.");
      p.set("start", String(a * 1000));
      p.set("end", String(b * 1000 + 999_999));
    }
    if (minDuration.trim()) p.set("minDuration", minDuration.trim());
    if (maxDuration.trim()) p.set("maxDuration", maxDuration.trim());
    p.set("limit", String(n));
    // A fresh timestamp forces a new search even when the form did not change.
    p.set("t", String(Date.now()));
    navigate(`/search?${p}`);
  };

  return (
    <form className="search-form" onSubmit={submit} aria-label="Search traces">
      <h2>Search</h2>
      <label>
        <span>
          Service <span className="muted">({services?.length ?? "…"})</span>
        </span>
        <select
          name="service"
          value={service}
          onChange={(e) => {
            setService(e.target.value);
            setOperation("");
          }}
        >
          <option value="">{services === null ? "Loading…" : "Select a service"}</option>
          {(services ?? []).map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          {service && services && !services.includes(service) && (
            <option value={service}>{service}</option>
          )}
        </select>
      </label>
      {servicesError && <p className="field-error">{servicesError}</p>}
      <label>
        <span>
          Operation <span className="muted">({operations.length})</span>
        </span>
        <select name="operation" value={operation} onChange={(e) => setOperation(e.target.value)}>
          <option value="">all</option>
          {operations.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tags
        <input
          name="tags"
          value={tags}
          placeholder="error=true http.status_code=500"
          onChange={(e) => setTags(e.target.value)}
          spellCheck={false}
        />
        <span className="hint">logfmt; values with spaces in "double quotes"</span>
      </label>
      <label>
        Lookback
        <select name="lookback" value={lookback} onChange={(e) => setLookback(e.target.value)}>
          {LOOKBACKS.map((l) => (
            <option key={l} value={l}>
              Last {l}
            </option>
          ))}
          {!LOOKBACKS.includes(initial.lookback) && initial.lookback !== "custom" && (
            <option value={initial.lookback}>Last {initial.lookback}</option>
          )}
          <option value="custom">Custom time range…</option>
        </select>
      </label>
      {lookback === "custom" && (
        <div className="custom-range">
          <label>
            From
            <input
              name="from"
              type="datetime-local"
              step={1}
              value={from}
              onChange={(e) => setFrom(e.target.value)}
            />
          </label>
          <label>
            To
            <input
              name="to"
              type="datetime-local"
              step={1}
              value={to}
              onChange={(e) => setTo(e.target.value)}
            />
          </label>
        </div>
      )}
      <div className="row2">
        <label>
          Min duration
          <input
            name="minDuration"
            value={minDuration}
            placeholder="e.g. 1.2s, 100ms"
            onChange={(e) => setMinDuration(e.target.value)}
          />
        </label>
        <label>
          Max duration
          <input
            name="maxDuration"
            value={maxDuration}
            placeholder="e.g. 1.2s, 100ms"
            onChange={(e) => setMaxDuration(e.target.value)}
          />
        </label>
      </div>
      <label>
        Limit results
        <input
          name="limit"
          type="number"
          min={1}
          max={1500}
          value={limit}
          onChange={(e) => setLimit(e.target.value)}
        />
      </label>
      {formError && (
        <p className="field-error" role="alert">
          {formError}
        </p>
      )}
      <button type="submit" className="btn primary wide">
        Find Traces
      </button>
    </form>
  );
}
