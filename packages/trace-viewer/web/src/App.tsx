// The shell: top bar (navigation, trace-id lookup, JSON upload, theme toggle) and the route switch.
import { type ChangeEvent, useRef, useState } from "react";
import { ErrorBoundary } from "./components/ErrorBoundary.tsx";
import { TraceIdBox } from "./components/TraceIdBox.tsx";
import { loadTraceFile } from "./lib/api.ts";
import { Link, navigate, traceHref, usePlace } from "./lib/router.tsx";
import { useTheme } from "./lib/theme.ts";
import { saveUploads } from "./lib/uploads.ts";
import { ComparePage } from "./pages/ComparePage.tsx";
import { DependenciesPage } from "./pages/DependenciesPage.tsx";
import { LiveTailPage } from "./pages/LiveTailPage.tsx";
import { MonitorPage } from "./pages/MonitorPage.tsx";
import { SearchPage } from "./pages/SearchPage.tsx";
import { TracePage } from "./pages/TracePage.tsx";

export function App() {
  const place = usePlace();
  const [theme, toggleTheme] = useTheme();
  const [uploadError, setUploadError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    try {
      const traces = loadTraceFile(await file.text());
      await saveUploads(traces, file.name);
      setUploadError(null);
      if (traces.length === 1 && traces[0]) navigate(traceHref(traces[0].traceID));
      else navigate(`/search?source=upload&n=${traces.length}`);
    } catch (err) {
      setUploadError((err as Error).message);
    }
  };

  let page: React.ReactNode;
  const m = /^\/trace\/([^/]+)\/?$/.exec(place.path);
  if (place.path === "/" || place.path === "/search") page = <SearchPage query={place.query} />;
  else if (place.path === "/tail") page = <LiveTailPage />;
  else if (place.path === "/dependencies") page = <DependenciesPage query={place.query} />;
  else if (place.path === "/monitor") page = <MonitorPage query={place.query} />;
  else if (m?.[1]) {
    const id = decodeURIComponent(m[1]);
    const pair = id.split("...");
    if (pair.length === 2) page = <ComparePage a={pair[0] ?? ""} b={pair[1] ?? ""} />;
    else page = <TracePage key={id} traceId={id} query={place.query} />;
  } else if (place.path === "/compare") page = <ComparePage a="" b="" />;
  else
    page = (
      <main className="page narrow">
        <h1>Not found</h1>
        <p>
          Nothing lives at this address. <Link to="/search">Search traces</Link>.
        </p>
      </main>
    );

  const nav = (to: string, label: string, active: boolean) => (
    <Link to={to} className={active ? "nav active" : "nav"}>
      {label}
    </Link>
  );

  return (
    <div className="app">
      <header className="topbar">
        <Link to="/search" className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◎
          </span>{" "}
          Periscope
        </Link>
        <nav>
          {nav(
            "/search",
            "Search",
            (place.path === "/search" || place.path === "/") &&
              place.query.get("source") !== "upload",
          )}
          {nav("/compare", "Compare", place.path === "/compare" || place.path.includes("..."))}
          {nav("/dependencies", "System Architecture", place.path === "/dependencies")}
          {nav("/monitor", "Monitor", place.path === "/monitor")}
          {nav("/tail", "Live tail", place.path === "/tail")}
          {nav("/search?source=upload", "Uploaded", place.query.get("source") === "upload")}
        </nav>
        <div className="topbar-right">
          <TraceIdBox />
          {uploadError && (
            <span className="upload-error" role="alert">
              {uploadError}
            </span>
          )}
          <input
            ref={fileInput}
            type="file"
            accept=".json,application/json"
            hidden
            data-testid="upload-input"
            onChange={onFile}
          />
          <button type="button" className="btn ghost" onClick={() => fileInput.current?.click()}>
            Open JSON…
          </button>
          <button
            type="button"
            className="btn ghost"
            onClick={toggleTheme}
            aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} mode`}
            title={`Switch to ${theme === "dark" ? "light" : "dark"} mode`}
            data-testid="theme-toggle"
          >
            {theme === "dark" ? "☀" : "☾"}
          </button>
        </div>
      </header>
      <ErrorBoundary key={place.path}>{page}</ErrorBoundary>
    </div>
  );
}
