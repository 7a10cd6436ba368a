// Connections and HTTP requests as tasks, from Node's diagnostics channels: each accepted socket
// of any net.Server is a task, each HTTP request a task under its connection, named by route.

import { executionAsyncResource } from "node:async_hooks";
import dc from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type OpenTask, openTask } from "@periscope/runtime";
import { collapsePath, requestName } from "./routes.ts";
import { tlsParent } from "./tls.ts";

const CONN = Symbol("periscope.auto.connection");
const REQ = Symbol("periscope.auto.request");

interface ConnState {
  task: OpenTask;
  /** Requests not yet answered: a connection that closes first aborts them. */
  open: Set<ReqState>;
  /** The HTTP parser's async resource once seen: bound to this task between requests. */
  parser: object | undefined;
  /** The request the parser is bound to while it is open (the newest one). */
  parsing: ReqState | undefined;
}

interface ReqState {
  task: OpenTask;
  method: string;
  start: number;
  route: string | undefined;
  done: boolean;
  conn: ConnState | undefined;
}

type WithConn = { [CONN]?: ConnState };
type WithReq = { [REQ]?: ReqState };

// Read once: the `performance` global is a lazy getter.
const perf = performance;

const UNITS = ["µs", "ms", "s"];
/** Strings already made, by unit, exponent and two-digit mantissa: a few hundred at most. */
const durations = new Map<number, string>();

/**
 * Durations with two significant figures: shared values keep retained tasks cheap to store.
 * Each string is made once (toPrecision and a template took ~0.3 µs a request, this ~40 ns).
 */
export function roughDuration(ms: number): string {
  const u = ms < 1 ? 0 : ms < 1000 ? 1 : 2;
  const v = u === 0 ? ms * 1000 : u === 1 ? ms : ms / 1000;
  if (!(v > 0)) return `0${UNITS[u]}`;
  const e = Math.floor(Math.log10(v));
  const m = Math.round(v * 10 ** (1 - e));
  const key = (u * 100 + e + 50) * 128 + m;
  let s = durations.get(key);
  if (s === undefined) {
    s = `${Number((m * 10 ** (e - 1)).toPrecision(2))}${UNITS[u]}`;
    if (durations.size < 4096) durations.set(key, s);
  }
  return s;
}

function peerOf(socket: Socket): string {
  const a = socket.remoteAddress;
  if (a === undefined) return "unknown";
  return a.includes(":") ? `[${a}]:${socket.remotePort}` : `${a}:${socket.remotePort}`;
}

/** Local ports whose connections are not the program's own work (the console's gRPC server). */
const ignoredPorts = new Set<number>();

/** Connections accepted on this local port are not shown (the console's own clients). */
export function ignoreConnectionsTo(port: number): void {
  ignoredPorts.add(port);
}

/** Whether this socket's connections are left out (see ignoreConnectionsTo). */
export function ignoredConnection(socket: Socket): boolean {
  return socket.localPort !== undefined && ignoredPorts.has(socket.localPort);
}

/** An HTTPS request's socket is the TLSSocket wrapping the accepted one: adopt its connection. */
function wrappedConn(socket: Socket): ConnState | undefined {
  const conn = (tlsParent(socket) as WithConn | undefined)?.[CONN];
  if (conn !== undefined) (socket as WithConn)[CONN] = conn;
  return conn;
}

/** The connection task of an accepted socket, or of the TLS socket wrapping one (HTTP/2 uses it). */
export function connectionTask(socket: Socket): OpenTask | undefined {
  return ((socket as WithConn)[CONN] ?? wrappedConn(socket))?.task;
}

function onSocket(msg: unknown): void {
  try {
    const socket = (msg as { socket: Socket }).socket;
    if (socket.localPort !== undefined && ignoredPorts.has(socket.localPort)) return;
    const peer = peerOf(socket);
    const local =
      socket.localPort === undefined ? undefined : `${socket.localAddress}:${socket.localPort}`;
    const task = openTask({
      name: `conn ${peer}`,
      fields:
        local === undefined ? { "peer.addr": peer } : { "peer.addr": peer, "local.addr": local },
    });
    const st: ConnState = { task, open: new Set(), parser: undefined, parsing: undefined };
    (socket as WithConn)[CONN] = st;
    // Accepting the connection (and the server's connection listeners) is its first poll.
    task.enter();
    socket.once("close", () => {
      for (const r of st.open) finishRequest(r, "aborted");
      st.open.clear();
      task.finish();
    });
  } catch {
    // instrumentation never throws into the program
  }
}

function onRequestStart(msg: unknown): void {
  try {
    const { request, socket } = msg as { request: IncomingMessage; socket: Socket };
    const conn = (socket as WithConn)[CONN] ?? wrappedConn(socket);
    const method = request.method ?? "GET";
    const path = collapsePath(request.url ?? "/");
    const task = openTask({
      name: requestName(method, path),
      fields:
        conn === undefined ? { method, path } : { method, path, "conn.task.id": conn.task.id },
      parent: conn?.task,
    });
    const st: ReqState = {
      task,
      method,
      start: perf.now(),
      route: undefined,
      done: false,
      conn,
    };
    (request as WithReq)[REQ] = st;
    if (conn !== undefined) {
      conn.open.add(st);
      // The parser's callbacks while a request is open (the rest of its message, its body) are
      // that request's polls, run back to back with its handler as one poll; between requests
      // (reading, parsing the next headers) they are the connection's.
      if (conn.parser === undefined) {
        const parser = executionAsyncResource();
        if (parser !== undefined && parser !== null) conn.parser = parser;
      }
      if (conn.parser !== undefined) {
        task.bind(conn.parser);
        conn.parsing = st;
      }
    }
    // The handler runs in this callback, after this message: from here on it is the request's.
    task.enter();
  } catch {
    // as above
  }
}

function finishRequest(st: ReqState, status: number | string): void {
  if (st.done) return;
  st.done = true;
  st.task.record({ status, duration: roughDuration(perf.now() - st.start) });
  st.task.finish();
  const conn = st.conn;
  if (conn !== undefined && conn.parsing === st) {
    conn.parsing = undefined;
    if (conn.parser !== undefined) conn.task.bind(conn.parser);
  }
}

function onResponseFinish(msg: unknown): void {
  try {
    const { request, response } = msg as { request: IncomingMessage; response: ServerResponse };
    const st = (request as WithReq)[REQ];
    if (st === undefined) return;
    const conn = (request.socket as WithConn | null)?.[CONN];
    conn?.open.delete(st);
    finishRequest(st, response.statusCode);
  } catch {
    // as above
  }
}

type RouteListener = (method: string, route: string) => void;
let routeListener: RouteListener | undefined;

/** Told of each matched route, in the request's context (the OTLP part names its server span). */
export function onRoute(listener: RouteListener | undefined): void {
  routeListener = listener;
}

/** A framework matched a route for this request: rename its task `METHOD route`. */
export function routeMatched(request: IncomingMessage, route: string): void {
  const st = (request as WithReq)[REQ];
  if (st === undefined || st.route === route || st.done) return;
  st.route = route;
  st.task.record({ "task.name": requestName(st.method, route), route });
  routeListener?.(st.method, route);
}

// Express 5's router (2.x) publishes every layer it runs; `req.route` is set once a route matched.
const EXPRESS = "tracing:express.router.request:start";
function onExpressLayer(msg: unknown): void {
  try {
    const req = (msg as { req: IncomingMessage & { baseUrl?: string; route?: { path?: unknown } } })
      .req;
    const path = req.route?.path;
    if (typeof path === "string") routeMatched(req, `${req.baseUrl ?? ""}${path}`);
  } catch {
    // as above
  }
}

// Fastify 5 publishes the matched route as its handler starts.
const FASTIFY = "tracing:fastify.request.handler:start";
function onFastifyHandler(msg: unknown): void {
  try {
    const m = msg as { request?: { raw?: IncomingMessage }; route?: { url?: unknown } };
    const raw = m.request?.raw;
    if (raw !== undefined && typeof m.route?.url === "string") routeMatched(raw, m.route.url);
  } catch {
    // as above
  }
}

const SUBSCRIPTIONS: [string, (msg: unknown) => void][] = [
  ["net.server.socket", onSocket],
  ["http.server.request.start", onRequestStart],
  ["http.server.response.finish", onResponseFinish],
  [EXPRESS, onExpressLayer],
  [FASTIFY, onFastifyHandler],
];

/** Starts turning connections and requests into tasks; returns the function that stops it. */
export function instrumentRequests(): () => void {
  for (const [name, fn] of SUBSCRIPTIONS) dc.subscribe(name, fn);
  return () => {
    for (const [name, fn] of SUBSCRIPTIONS) dc.unsubscribe(name, fn);
  };
}
