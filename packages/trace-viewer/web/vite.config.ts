// Build of the viewer's web UI into web/dist, which the viewer's HTTP server serves with an SPA
// fallback. `npm run build -w @periscope/trace-viewer` (also run by the root `prepare`).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One small app: a single chunk loads fastest from localhost.
    chunkSizeWarningLimit: 800,
  },
  server: { proxy: { "/api": "http://127.0.0.1:16686" } },
});
