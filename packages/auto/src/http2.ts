// Incoming HTTP/2 streams as request tasks under their session's connection task, named
// `METHOD route` (Fastify) or `METHOD path` like HTTP/1 requests, with status and duration.
//
// Node 24 and 22.17+ publish `http2.server.stream.*` diagnostics channels, but 22.13 has none
// and 22.17 has no `http2.server.stream.close`. More to the point, the channels fire inside the
// session's read callback, while the handlers run in the next tick, where Node emits the server's
// 'stream' event (the compat API's 'request' comes from it too). So we listen there instead: one
// listener per HTTP/2 server, put first on its first connection, opens the task and enters it,
// so the handlers and what they await are the task's polls. HTTP/1 servers cost one symbol check
// per connection, nothing per request. Where `http2.server.stream.created` exists, it binds the
// session's own callbacks (reading and parsing frames) to the connection task, as the HTTP/1
// parser's are.
import { executionAsyncResource } from "node:async_hooks";
import dc from "node:diagnostics_channel";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { Server, Socket } from "node:net";
import { type OpenTask, openTask } from "@periscope/runtime";
import { connectionTask, ignoredConnection, roughDuration } from "./requests.ts";
import { collapsePath, requestName } from "./routes.ts";

/** On a server: whether it is an HTTP/2 server we listen to (true) or not one (false). */
const SEEN = Symbol("periscope.auto.http2");
type Marked = Server & { [SEEN]?: boolean; updateSettings?: unknown };

/** HTTP/2 servers (`http2.createServer`, `createSecureServer`) are the only core servers with it. */
function isHttp2Server(server: Marked): boolean {
  return typeof server.updateSettings === "function";
}

const CREATED = "http2.server.stream.created";
let active = false;

/**
 * Node's key for a stream's native handle, found once by its description (it is internal: no
 * public API names it), or null if this Node has none. The body's 'data' and 'end' callbacks run
 * as that handle's callbacks, so binding it makes reading the body (and a gRPC handler called
 * once the message is in) polls of the request, not of the root task.
 */
let handleKey: symbol | null | undefined;
function nativeHandle(stream: ServerHttp2Stream): object | undefined {
  if (handleKey === undefined)
    handleKey =
      Object.getOwnPropertySymbols(stream).find((k) => k.description === "kHandle") ?? null;
  if (handleKey === null) return undefined;
  const h = (stream as unknown as Record<symbol, unknown>)[handleKey];
  return typeof h === "object" && h !== null ? h : undefined;
}

function onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  if (!active) return;
  try {
    const socket = stream.session?.socket as Socket | undefined;
    if (socket === undefined || ignoredConnection(socket)) return;
    const conn = connectionTask(socket);
    const method = (headers[":method"] as string | undefined) ?? "GET";
    const path = collapsePath((headers[":path"] as string | undefined) ?? "/");
    const task = openTask({
      name: requestName(method, path),
      fields:
        conn === undefined
          ? { method, path, protocol: "h2" }
          : { method, path, protocol: "h2", "conn.task.id": conn.id },
      parent: conn,
    });
    const handle = nativeHandle(stream);
    if (handle !== undefined) task.bind(handle);
    const start = performance.now();
    (stream as Named)[TASK] = { task, method, route: undefined };
    stream.once("close", () => {
      // A stream closed before its response headers went out, or reset, was aborted.
      const sent = stream.sentHeaders?.[":status"];
      const status = sent !== undefined && stream.rstCode === 0 ? Number(sent) : "aborted";
      const duration = roughDuration(performance.now() - start);
      // gRPC's own status travels in the trailers, or in the headers of a trailers-only
      // response (its HTTP status is 200 whatever happened).
      const grpc = stream.sentTrailers?.["grpc-status"] ?? stream.sentHeaders?.["grpc-status"];
      if (grpc === undefined) task.record({ status, duration });
      else task.record({ status, duration, "grpc.status": Number(grpc) });
      task.finish();
    });
    // The rest of this tick runs the program's 'stream'/'request' handlers: the task's first poll.
    task.enter();
  } catch {
    // instrumentation never throws into the program
  }
}

/** On a stream: its request task, to rename once a framework matched a route. */
const TASK = Symbol("periscope.auto.http2.task");
type Named = ServerHttp2Stream & {
  [TASK]?: { task: OpenTask; method: string; route: string | undefined };
};

// Fastify 5 with `http2: true` publishes the matched route as for HTTP/1; its raw request is the
// compat Http2ServerRequest, whose stream holds the task.
const FASTIFY = "tracing:fastify.request.handler:start";
let fastify = false;
/** Whether an HTTP/2 server was seen, even by an instance stopped since (its listener stays). */
let sawHttp2 = false;
function onFastifyHandler(msg: unknown): void {
  try {
    const m = msg as { request?: { raw?: { stream?: Named } }; route?: { url?: unknown } };
    const st = m.request?.raw?.stream?.[TASK];
    const route = m.route?.url;
    if (st === undefined || typeof route !== "string" || st.route === route) return;
    st.route = route;
    st.task.record({ "task.name": requestName(st.method, route), route });
  } catch {
    // as above
  }
}

/** On a session: its callbacks are bound to its connection task (or it has none). */
const BOUND = Symbol("periscope.auto.http2.session");

// Published in the session's read callback, so the running async resource is the session's.
function onStreamCreated(msg: unknown): void {
  if (!active) return;
  try {
    const session = (msg as { stream: ServerHttp2Stream }).stream.session as
      | (ServerHttp2Stream["session"] & { [BOUND]?: true })
      | undefined;
    if (session === undefined || session[BOUND]) return;
    session[BOUND] = true;
    const socket = session.socket as Socket | undefined;
    if (socket === undefined || ignoredConnection(socket)) return;
    const resource = executionAsyncResource();
    if (resource !== undefined && resource !== null) connectionTask(socket)?.bind(resource);
  } catch {
    // as above
  }
}

function watchFastify(): void {
  if (!fastify) dc.subscribe(FASTIFY, onFastifyHandler);
  fastify = true;
}

function onSocket(msg: unknown): void {
  try {
    const socket = (msg as { socket: Socket & { server?: Marked } }).socket;
    const server = socket.server;
    if (server === undefined || server === null || server[SEEN] !== undefined) return;
    // The console's own gRPC server is HTTP/2 too, but none of its streams are the program's.
    server[SEEN] = isHttp2Server(server) && !ignoredConnection(socket);
    if (!server[SEEN]) return;
    server.prependListener("stream", onStream);
    // Only once an HTTP/2 server exists: Fastify's HTTP/1 requests never pay for this listener.
    sawHttp2 = true;
    watchFastify();
  } catch {
    // as above
  }
}

/** Starts turning incoming HTTP/2 streams into tasks; returns the function that stops it. */
export function instrumentHttp2(): () => void {
  active = true;
  dc.subscribe("net.server.socket", onSocket);
  dc.subscribe(CREATED, onStreamCreated);
  if (sawHttp2) watchFastify();
  return () => {
    // Listeners already on servers stay, inert: removing them would touch the program's servers.
    active = false;
    dc.unsubscribe("net.server.socket", onSocket);
    dc.unsubscribe(CREATED, onStreamCreated);
    if (fastify) dc.unsubscribe(FASTIFY, onFastifyHandler);
    fastify = false;
  };
}
