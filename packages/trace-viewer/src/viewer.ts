// Starts the whole viewer: the store, the OTLP/HTTP and OTLP/gRPC receivers, and the UI port
// that serves Jaeger's query API and the web UI. Used by the CLI, the tests and the demo.

import { statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { directSink } from "./ingest.ts";
import { handleQuery, sendJson } from "./query-api.ts";
import { type GrpcReceiver, startGrpcReceiver } from "./receiver-grpc.ts";
import { createOtlpHttpHandler } from "./receiver-http.ts";
import { DEFAULT_DIST, serveStatic } from "./static-files.ts";
import { TraceStore } from "./store.ts";

export interface ViewerOptions {
  /** UI and query API address, "host:port" (default 127.0.0.1:16686; port 0 picks one). */
  ui?: string;
  /** OTLP/HTTP address (default 127.0.0.1:4318), or false to not listen. */
  otlpHttp?: string | false | null;
  /** OTLP/gRPC address (default 127.0.0.1:4317), or false to not listen. */
  otlpGrpc?: string | false | null;
  /** Data directory (default: $XDG_STATE_HOME/periscope/viewer or ~/.local/state/periscope/viewer). */
  dataDir?: string;
  /** Keep everything in memory; nothing is written to disk. */
  inMemory?: boolean;
  /** Drop spans older than this (ms). Default 7 days; 0 keeps them. */
  retentionMs?: number;
  /** Cap on stored data (bytes). Default 1 GiB (256 MiB in memory); 0 means no cap. */
  maxBytes?: number;
  /** Cap on one OTLP request body (bytes). Default 64 MiB. */
  maxBodyBytes?: number;
  /** Access-Control-Allow-Origin for browser OTLP senders. Default "*". */
  corsOrigin?: string;
  /** Directory of the built web UI. */
  distDir?: string;
  /** Wall clock in ms (tests). */
  clock?: () => number;
  /** How often retention runs (ms). Default 10 s. */
  retentionIntervalMs?: number;
}

export interface RunningViewer {
  uiUrl: string;
  /** Base URL of the OTLP/HTTP receiver (append /v1/traces); "" when not listening. */
  otlpHttpUrl: string;
  /** host:port of the OTLP/gRPC receiver; "" when not listening. */
  otlpGrpcAddress: string;
  dataPath: string;
  store: TraceStore;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY = 64 * 1024 * 1024;
const VERSION = "0.1.0";

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "periscope", "viewer");
}

/** Bytes of the SQLite file with its WAL and shared-memory files, as `du` would count them. */
function fileBytes(path: string): number {
  let n = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      n += statSync(path + suffix).size;
    } catch {
      // Not there (yet): nothing to count.
    }
  }
  return n;
}

export function parseHostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s) ?? /^()()(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new Error(
      `PERISCOPE_VIEWER_BAD_ADDRESS: ${what} "${s}" is not host:port; use e.g. 127.0.0.1:16686`,
    );
  }
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

const LOOPBACK_NAMES = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

export async function startViewer(options: ViewerOptions = {}): Promise<RunningViewer> {
  const clock = options.clock ?? Date.now;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const dataPath = options.inMemory
    ? ":memory:"
    : join(options.dataDir ?? defaultDataDir(), "traces.sqlite");
  const store = new TraceStore({
    path: dataPath,
    retentionMs: options.retentionMs ?? 7 * 86400e3,
    // An in-memory store lives in the heap of this process, so its default cap is smaller.
    maxBytes: options.maxBytes ?? (options.inMemory ? 256 * 1024 ** 2 : 1024 ** 3),
    clock,
    retentionIntervalMs: options.retentionIntervalMs,
  });
  const sink = directSink(store);
  const ui = parseHostPort(options.ui ?? "127.0.0.1:16686", "--ui");
  const closers: Array<() => Promise<void>> = [];
  const result: RunningViewer = {
    uiUrl: "",
    otlpHttpUrl: "",
    otlpGrpcAddress: "",
    dataPath,
    store,
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => {});
      store.close();
    },
  };
  try {
    const distDir = options.distDir ?? DEFAULT_DIST;
    const uiLoopback = LOOPBACK_NAMES.test(ui.host);
    const info = () => ({
      version: VERSION,
      storage: store.inMemory ? "memory" : "sqlite",
      dataDir: store.inMemory ? null : dataPath,
      ...store.reader.stats(),
      // What the home page tells a user about their data: where, how big, how long it stays.
      storeBytes: store.usedBytes(),
      fileBytes: store.inMemory ? null : fileBytes(dataPath),
      maxBytes: options.maxBytes ?? (options.inMemory ? 256 * 1024 ** 2 : 1024 ** 3),
      retentionMs: options.retentionMs ?? 7 * 86400e3,
      otlpHttp: result.otlpHttpUrl || null,
      otlpGrpc: result.otlpGrpcAddress || null,
    });
    const uiServer = createServer((req, res) =>
      handleUi(req, res, { distDir, uiLoopback, store, clock, info }),
    );
    const uiPort = await listen(uiServer, ui.host, ui.port, "--ui");
    closers.push(() => closeServer(uiServer));
    result.uiUrl = `http://${fmtHost(ui.host)}:${uiPort}`;

    if (options.otlpHttp !== false && options.otlpHttp !== null) {
      const a = parseHostPort(options.otlpHttp ?? "127.0.0.1:4318", "--otlp-http");
      const handler = createOtlpHttpHandler({
        sink,
        maxBodyBytes: maxBody,
        corsOrigin: options.corsOrigin ?? "*",
      });
      const httpServer = createServer(handler);
      const p = await listen(httpServer, a.host, a.port, "--otlp-http");
      closers.push(() => closeServer(httpServer));
      result.otlpHttpUrl = `http://${fmtHost(a.host)}:${p}`;
    }
    if (options.otlpGrpc !== false && options.otlpGrpc !== null) {
      const a = parseHostPort(options.otlpGrpc ?? "127.0.0.1:4317", "--otlp-grpc");
      let g: GrpcReceiver;
      try {
        g = await startGrpcReceiver(a.host, a.port, sink, maxBody);
      } catch (e) {
        throw portError(e, "--otlp-grpc", a.host, a.port);
      }
      closers.push(() => g.close());
      result.otlpGrpcAddress = `${fmtHost(a.host)}:${g.port}`;
    }
  } catch (e) {
    await result.close();
    throw e;
  }
  return result;
}

interface UiContext {
  distDir: string;
  uiLoopback: boolean;
  store: TraceStore;
  clock: () => number;
  info: () => Record<string, unknown>;
}

function handleUi(req: IncomingMessage, res: ServerResponse, ctx: UiContext) {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  // A page on another site could resolve its own name to 127.0.0.1 (DNS rebinding); a loopback
  // viewer therefore only answers requests addressed to a loopback name.
  const hostHeader = (req.headers.host ?? "").replace(/:\d+$/, "");
  if (ctx.uiLoopback && !LOOPBACK_NAMES.test(hostHeader)) {
    res.writeHead(421, { "content-type": "text/plain; charset=utf-8" });
    return void res.end("misdirected request: open the viewer through 127.0.0.1 or localhost\n");
  }
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://viewer.invalid");
  } catch {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    return void res.end("bad request\n");
  }
  const isApi = url.pathname === "/api" || url.pathname.startsWith("/api/");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    if (isApi) {
      return sendJson(res, 405, {
        data: null,
        total: 0,
        limit: 0,
        offset: 0,
        errors: [{ code: 405, msg: "the query API is read-only: use GET" }],
      });
    }
    res.writeHead(405, { "content-type": "text/plain; charset=utf-8" });
    return void res.end("method not allowed\n");
  }
  if (isApi)
    return handleQuery(url, res, { reader: ctx.store.reader, clock: ctx.clock, info: ctx.info });
  serveStatic(ctx.distDir, req, res, url.pathname);
}

function fmtHost(h: string): string {
  return h.includes(":") ? `[${h}]` : h;
}

function listen(server: Server, host: string, port: number, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(portError(e, flag, host, port)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function portError(e: unknown, flag: string, host: string, port: number): Error {
  const msg = (e as Error).message ?? String(e);
  if (/EADDRINUSE|address already in use|No address added/i.test(msg)) {
    return new Error(
      `PERISCOPE_VIEWER_PORT_IN_USE: ${host}:${port} is taken (is another viewer or Jaeger running?); pass ${flag} with another port`,
    );
  }
  return new Error(`PERISCOPE_VIEWER_LISTEN: cannot listen on ${host}:${port} for ${flag}: ${msg}`);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
