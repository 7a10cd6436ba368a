// /search: the form on the left; results (scatter plot and sortable list) on the right. The
// query lives in the URL, as in Jaeger, so a search can be bookmarked and shared.
import { useEffect, useState } from "react";
import { GettingStarted } from "../components/GettingStarted.tsx";
import { queryFromUrl, SearchForm } from "../components/SearchForm.tsx";
import { SearchResults } from "../components/SearchResults.tsx";
import { findTraces, uploadedTraces } from "../lib/api.ts";
import type { Trace } from "../lib/jaeger.ts";

type State =
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "done"; traces: Trace[] }
  | { kind: "error"; message: string };

export function SearchPage(props: { query: URLSearchParams }) {
  const key = props.query.toString();
  const [state, setState] = useState<State>({ kind: "idle" });

  useEffect(() => {
    const query = new URLSearchParams(key);
    document.title = `${query.get("service") ? `${query.get("service")} · ` : ""}Search · Periscope`;
    if (query.get("source") === "upload") {
      setState({ kind: "done", traces: uploadedTraces() });
      return;
    }
    const q = queryFromUrl(query);
    if (!q.service) {
      setState({ kind: "idle" });
      return;
    }
    const ac = new AbortController();
    setState({ kind: "loading" });
    findTraces(q, ac.signal).then(
      (traces) => setState({ kind: "done", traces }),
      (e: Error) => {
        if (e.name !== "AbortError") setState({ kind: "error", message: e.message });
      },
    );
    return () => ac.abort();
  }, [key]);

  return (
    <main className="search-layout">
      <aside className="search-side">
        <SearchForm query={props.query} />
      </aside>
      <section className="search-main" aria-live="polite">
        {state.kind === "idle" && <GettingStarted />}
        {state.kind === "loading" && <div className="empty">Searching…</div>}
        {state.kind === "error" && (
          <div className="error-box" role="alert">
            {state.message}
          </div>
        )}
        {state.kind === "done" && (
          <SearchResults
            key={key}
            traces={state.traces}
            title={props.query.get("source") === "upload" ? "Uploaded traces" : undefined}
          />
        )}
      </section>
    </main>
  );
}
