// Build of the viewer's web UI into web/dist, which the viewer's HTTP server serves with an SPA
// fallback. `npm run build -w @periscope/trace-viewer` (also run by the root `prepare`).
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// Span strings are hostile. React renders them as text; this policy is the second wall: no inline
// or foreign scripts, no plugins, no <base> rewrites. Build only: the dev server injects inline
// scripts for hot reload.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

function contentSecurityPolicy(): Plugin {
  return {
    name: "periscope-csp",
    apply: "build",
    transformIndexHtml: () => [
      {
        tag: "meta",
        attrs: { "http-equiv": "Content-Security-Policy", content: CSP },
        injectTo: "head-prepend",
      },
    ],
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: { proxy: { "/api": "http://127.0.0.1:16686" } },
});
