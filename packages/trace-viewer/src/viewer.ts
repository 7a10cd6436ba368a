// Starts the whole viewer: the store (written on its own thread for a file store), the OTLP,
// Jaeger and Zipkin receivers, and the UI port that serves Jaeger's query API (span-heavy
// queries on worker threads) and the web UI. Used by the CLI, the tests and the demo.
import { statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type GuardOptions, guard, isLoopbackHost } from "./http-guard.ts";
import { closeServer, fmtHost, listen, parseHostPort, portError } from "./listen.ts";
import { DEFAULT_LIMITS, json, type QueryLimits } from "./query/answer.ts";
import { jaegerError } from "./query/api.ts";
import { QUERY_HEAP_MB, QueryServer, writeAnswer } from "./query/serve.ts";
import { transformOtlpJson } from "./query/transform.ts";
import { DEFAULT_GRPC_MAX_IN_FLIGHT, InFlightLimit } from "./receivers/grpc-budget.ts";
import { BodyError, readBody } from "./receivers/http-body.ts";
import { directSink, type IngestSink } from "./receivers/ingest.ts";
import {
  DEFAULT_GRPC_MAX_MESSAGE,
  type GrpcReceiver,
  startGrpcReceiver,
} from "./receivers/otlp-grpc.ts";
import { createOtlpHttpHandler } from "./receivers/otlp-http.ts";
import {
  type ProtocolAddresses,
  type ProtocolOptions,
  startProtocolReceivers,
} from "./receivers/protocols.ts";
import { startWriterThread } from "./receivers/writer-sink.ts";
import { DEFAULT_DIST, serveStatic } from "./static-files.ts";
import { StoreReader } from "./store/read.ts";
import { TraceStore } from "./store/store.ts";

export interface ViewerOptions extends ProtocolOptions {
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
  /** Cap on one OTLP/HTTP request body (bytes). Default 64 MiB. */
  maxBodyBytes?: number;
  /** Cap on one OTLP/gRPC message (bytes). Default 4 MiB, as the Collector. */
  maxGrpcMessageBytes?: number;
  /** Cap on gRPC message bytes held at once over all streams of both gRPC receivers, until
   * stored; more is refused with RESOURCE_EXHAUSTED. Default 64 MiB. */
  maxGrpcInFlightBytes?: number;
  /** Web origins allowed to call the viewer's ports from a browser (CORS). Default: none. */
  corsOrigins?: string[];
  /** Directory of the built web UI. */
  distDir?: string;
  /** Wall clock in ms (tests): "now" for queries, and for retention in memory (a file store's
   * writer thread keeps real time). */
  clock?: () => number;
  /** How often retention runs (ms). Default 10 s. */
  retentionIntervalMs?: number;
  /** What one API request may cost (spans per answer, trace ids per request). */
  queryLimits?: Partial<QueryLimits>;
  /** Worker threads that answer span-heavy queries (file stores). Default 2. */
  queryWorkers?: number;
  /** A span-heavy query still running after this long is stopped (ms). Default 30 s. */
  queryTimeoutMs?: number;
}

/** What a running viewer exposes of its store: a read-only view. */
export interface StoreHandle {
  readonly inMemory: boolean;
  readonly reader: StoreReader;
}

export interface RunningViewer {
  uiUrl: string;
  /** Base URL of the OTLP/HTTP receiver (append /v1/traces); "" when not listening. */
  otlpHttpUrl: string;
  /** host:port of the OTLP/gRPC receiver; "" when not listening. */
  otlpGrpcAddress: string;
  /** Where the Jaeger and Zipkin receivers listen ("" for those turned off). */
  protocols: ProtocolAddresses;
  dataPath: string;
  store: StoreHandle;
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
  const storeOptions = {
    path: dataPath,
    retentionMs: options.retentionMs ?? 7 * 86400e3,
    // An in-memory store lives in the heap of this process, so its default cap is smaller.
    maxBytes: options.maxBytes ?? (options.inMemory ? 256 * 1024 ** 2 : 1024 ** 3),
    retentionIntervalMs: options.retentionIntervalMs,
  };
  const ui = parseHostPort(options.ui ?? "127.0.0.1:16686", "--ui");
  const closers: Array<() => Promise<void>> = [];
  let store: StoreHandle;
  let sink: IngestSink;
  if (options.inMemory) {
    // An in-memory database is private to its connection: writer and readers share this thread.
    const mem = new TraceStore({ ...storeOptions, clock });
    const direct = directSink(mem);
    closers.push(async () => {
      direct.drain();
      mem.close();
    });
    store = mem;
    sink = direct;
  } else {
    // A file store is written on its own thread; this thread keeps a read-only connection for
    // the cheap queries it answers itself.
    const writer = await startWriterThread(storeOptions);
    closers.push(() => writer.close());
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(dataPath, { readOnly: true });
      db.exec("PRAGMA busy_timeout = 5000");
    } catch (e) {
      await writer.close();
      throw e;
    }
    closers.push(async () => db.close());
    store = { inMemory: false, reader: new StoreReader(db) };
    sink = writer.sink;
  }
  const result: RunningViewer = {
    uiUrl: "",
    otlpHttpUrl: "",
    otlpGrpcAddress: "",
    protocols: { jaegerCompact: "", jaegerBinary: "", jaegerHttp: "", zipkin: "", jaegerGrpc: "" },
    dataPath,
    store,
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => {});
    },
  };
  try {
    const distDir = options.distDir ?? DEFAULT_DIST;
    const corsOrigins = options.corsOrigins ?? [];
    const uiGuard = { loopback: isLoopbackHost(ui.host), corsOrigins };
    const info = () => ({
      version: VERSION,
      storage: store.inMemory ? "memory" : "sqlite",
      dataDir: store.inMemory ? null : dataPath,
      ...store.reader.stats(),
      // What the home page tells a user about their data: where, how big, how long it stays.
      storeBytes: store.reader.usedBytes(),
      fileBytes: store.inMemory ? null : fileBytes(dataPath),
      maxBytes: options.maxBytes ?? (options.inMemory ? 256 * 1024 ** 2 : 1024 ** 3),
      retentionMs: options.retentionMs ?? 7 * 86400e3,
      otlpHttp: result.otlpHttpUrl || null,
      otlpGrpc: result.otlpGrpcAddress || null,
      jaegerCompact: result.protocols.jaegerCompact || null,
      jaegerBinary: result.protocols.jaegerBinary || null,
      jaegerHttp: result.protocols.jaegerHttp || null,
      zipkin: result.protocols.zipkin || null,
      jaegerGrpc: result.protocols.jaegerGrpc || null,
      // Query threads (file stores only): their heap cap, and the largest heap one answer used.
      queryHeapLimitBytes: store.inMemory ? null : QUERY_HEAP_MB * 1024 ** 2,
      queryHeapPeakBytes: store.inMemory ? null : queries.heapPeakBytes,
    });
    const queries = new QueryServer({
      path: store.inMemory ? null : dataPath,
      reader: store.reader,
      clock,
      limits: { ...DEFAULT_LIMITS, ...options.queryLimits },
      workers: options.queryWorkers ?? 2,
      timeoutMs: options.queryTimeoutMs ?? 30_000,
    });
    closers.push(() => queries.close());
    const uiServer = createServer((req, res) =>
      handleUi(req, res, { distDir, guard: uiGuard, queries, info, maxBodyBytes: maxBody }),
    );
    const uiPort = await listen(uiServer, ui.host, ui.port, "--ui");
    closers.push(() => closeServer(uiServer));
    result.uiUrl = `http://${fmtHost(ui.host)}:${uiPort}`;

    if (options.otlpHttp !== false && options.otlpHttp !== null) {
      const a = parseHostPort(options.otlpHttp ?? "127.0.0.1:4318", "--otlp-http");
      const handler = createOtlpHttpHandler({
        sink,
        maxBodyBytes: maxBody,
        guard: { loopback: isLoopbackHost(a.host), corsOrigins },
      });
      const httpServer = createServer(handler);
      const p = await listen(httpServer, a.host, a.port, "--otlp-http");
      closers.push(() => closeServer(httpServer));
      result.otlpHttpUrl = `http://${fmtHost(a.host)}:${p}`;
    }
    const grpc = {
      sink: new InFlightLimit(sink, options.maxGrpcInFlightBytes ?? DEFAULT_GRPC_MAX_IN_FLIGHT),
      maxMessageBytes: options.maxGrpcMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE,
    };
    if (options.otlpGrpc !== false && options.otlpGrpc !== null) {
      const a = parseHostPort(options.otlpGrpc ?? "127.0.0.1:4317", "--otlp-grpc");
      let g: GrpcReceiver;
      try {
        g = await startGrpcReceiver(a.host, a.port, grpc.sink, grpc.maxMessageBytes);
      } catch (e) {
        throw portError(e, "--otlp-grpc", a.host, a.port);
      }
      closers.push(() => g.close());
      result.otlpGrpcAddress = `${fmtHost(a.host)}:${g.port}`;
    }
    result.protocols = await startProtocolReceivers(
      options,
      sink,
      corsOrigins,
      maxBody,
      grpc,
      closers,
    );
  } catch (e) {
    await result.close();
    throw e;
  }
  return result;
}

interface UiContext {
  distDir: string;
  guard: GuardOptions;
  queries: QueryServer;
  info: () => Record<string, unknown>;
  maxBodyBytes: number;
}

/** Jaeger's POST /api/transform: OTLP/JSON in, Jaeger's UI model out; nothing is stored. */
async function transform(req: IncomingMessage, res: ServerResponse, max: number): Promise<void> {
  const ctype = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (ctype !== "application/json") {
    req.resume();
    return writeAnswer(
      res,
      jaegerError(415, "send the OTLP/JSON trace as application/json"),
      false,
    );
  }
  try {
    const body = await readBody(req, max);
    const traces = transformOtlpJson(body.toString("utf8"));
    await writeAnswer(
      res,
      json(200, { data: traces, total: 0, limit: 0, offset: 0, errors: null }),
      false,
    );
  } catch (e) {
    const status = e instanceof BodyError ? e.status : 400;
    await writeAnswer(res, jaegerError(status, (e as Error).message), false);
  }
}

function handleUi(req: IncomingMessage, res: ServerResponse, ctx: UiContext) {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (!guard(req, res, ctx.guard, "GET, HEAD")) return;
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://viewer.invalid");
  } catch {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    return void res.end("bad request\n");
  }
  const isApi = url.pathname === "/api" || url.pathname.startsWith("/api/");
  if (url.pathname === "/api/transform" && req.method === "POST") {
    return void transform(req, res, ctx.maxBodyBytes);
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    if (isApi)
      return void writeAnswer(res, jaegerError(405, "the query API is read-only: use GET"), false);
    res.writeHead(405, { "content-type": "text/plain; charset=utf-8" });
    return void res.end("method not allowed\n");
  }
  const head = req.method === "HEAD";
  if (url.pathname === "/api/periscope/info")
    return void writeAnswer(res, json(200, ctx.info()), head);
  if (isApi) return ctx.queries.handle(url, head, res);
  serveStatic(ctx.distDir, req, res, url.pathname);
}
