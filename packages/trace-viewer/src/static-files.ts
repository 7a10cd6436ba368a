// Serves the built web UI (web/dist) with a single-page-app fallback: any GET that is not a
// file gets index.html, so /search and /trace/{id} load the app. Never lists directories.
import { createReadStream, existsSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

export const DEFAULT_DIST = join(import.meta.dirname, "..", "web", "dist");

const NOT_BUILT =
  "Periscope trace viewer: the web UI is not built.\n\n" +
  "Run `npm run build -w @periscope/trace-viewer` (npm ci runs it for you), then reload.\n" +
  "The Jaeger query API is available meanwhile under /api/.\n";

export function serveStatic(
  distDir: string,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): void {
  distDir = resolve(distDir);
  const index = join(distDir, "index.html");
  if (!existsSync(index)) {
    res.writeHead(503, {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
    });
    return void res.end(NOTE(req));
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    decoded = "/";
  }
  const file = normalize(join(distDir, decoded));
  if ((file !== distDir && !file.startsWith(distDir + sep)) || decoded.includes("\0")) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    return void res.end("not found\n");
  }
  let target = index;
  try {
    if (statSync(file).isFile()) target = file;
  } catch {
    // Not a file: a client-side route (even /trace/a...b, which looks like it has an
    // extension), unless it asks for a built asset that does not exist.
    if (decoded.startsWith("/assets/")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      return void res.end("not found\n");
    }
  }
  const type = TYPES[extname(target)] ?? "application/octet-stream";
  // Vite puts content hashes in asset names, so those can be cached for good; the page cannot.
  const immutable = target !== index && target.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    "content-type": type,
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(target).pipe(res);
}

function NOTE(req: IncomingMessage): string {
  return req.method === "HEAD" ? "" : NOT_BUILT;
}
