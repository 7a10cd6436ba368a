// /search: the form on the left; results (scatter plot and sortable list) on the right. The
// query lives in the URL, as in Jaeger, so a search can be bookmarked and shared.
import { useEffect, useState } from "react";
import { GettingStarted } from "../components/GettingStarted.tsx";
import { queryFromUrl, SearchForm } from "../components/SearchForm.tsx";
import { SearchResults } from "../components/SearchResults.tsx";
import { findTraceSummaries } from "../lib/api.ts";
import type { TraceSummary } from "../lib/summary.ts";
import { listUploads, storageProblem } from "../lib/uploads.ts";

type State =
  | { kind: "idle" }
  | { kind: "loading" }
  | { kind: "done"; summaries: TraceSummary[]; origins?: Map<string, string> }
  | { kind: "error"; message: string };

export function SearchPage(props: { query: URLSearchParams }) {
  const key = props.query.toString();
  const [state, setState] = useState<State>({ kind: "idle" });
  const upload = props.query.get("source") === "upload";

  useEffect(() => {
    const query = new URLSearchParams(key);
    document.title = `${query.get("service") ? `${query.get("service")} · ` : ""}Search · Periscope`;
    if (query.get("source") === "upload") {
      let live = true;
      listUploads().then((list) => {
        if (!live) return;
        const origins = new Map(list.map((u) => [u.summary.traceID, u.fileName]));
        setState({ kind: "done", summaries: list.map((u) => u.summary), origins });
      });
      return () => {
        live = false;
      };
    }
    const q = queryFromUrl(query);
    if (!q.service) {
      setState({ kind: "idle" });
      return;
    }
    const ac = new AbortController();
    setState({ kind: "loading" });
    findTraceSummaries(q, ac.signal).then(
      (summaries) => setState({ kind: "done", summaries }),
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
        {state.kind === "done" && upload && (
          <p className="muted upload-note" data-testid="upload-note">
            Traces opened from files, kept in this browser
            {storageProblem ? `: ${storageProblem}` : " (IndexedDB), never sent to the viewer"}.
          </p>
        )}
        {state.kind === "done" && (
          <SearchResults
            key={key}
            summaries={state.summaries}
            origins={state.origins}
            title={upload ? "Uploaded traces" : undefined}
            empty={
              upload
                ? "No uploaded traces: open a trace JSON file with Open JSON… in the top bar."
                : undefined
            }
          />
        )}
      </section>
    </main>
  );
}
