// Outgoing HTTP (fetch/undici and http.request) as async ops on one resource per origin, made in
// the task whose code sent the request, from undici's and node:http's diagnostics channels.
import dc from "node:diagnostics_channel";
import type { ClientRequest, IncomingMessage } from "node:http";
import { type AsyncOp, Resource } from "@periscope/runtime";
import { requestName } from "./routes.ts";

const OP = Symbol("periscope.auto.op");
/** Origins kept as resources; past this, requests to new origins share one "other" resource. */
const MAX_ORIGINS = 256;

/** How often each origin's counters are published (the console publishes once a second). */
const FLUSH_MS = 500;

/**
 * One origin's resource and its counters. They are counted here and published by a timer,
 * not as three state updates per request (requests, in_flight twice): each update is an event
 * through the subscriber and the console's queue.
 */
interface Origin {
  res: Resource;
  requests: number;
  inFlight: number;
  errors: number;
  /** What the console was last told: requests, in_flight, errors. */
  published: [number, number, number];
}

interface OpState {
  op: AsyncOp;
  origin: Origin;
  done: boolean;
}
type WithOp = { [OP]?: OpState };

const origins = new Map<string, Origin>();

function originFor(origin: string): Origin {
  let o = origins.get(origin);
  if (o?.res.enabled) return o;
  const key = origins.size >= MAX_ORIGINS && o === undefined ? "other origins" : origin;
  o = origins.get(key);
  if (o === undefined || !o.res.enabled) {
    const res = new Resource({ target: "node::http::client", concreteType: key, kind: "Http" });
    // Nothing published yet: the first flush sends all three, zeros too.
    o = { res, requests: 0, inFlight: 0, errors: 0, published: [-1, -1, -1] };
    origins.set(key, o);
  }
  return o;
}

function flush(): void {
  try {
    for (const o of origins.values()) {
      const p = o.published;
      if (p[0] === o.requests && p[1] === o.inFlight && p[2] === o.errors) continue;
      if (p[0] !== o.requests) o.res.update("requests", o.requests, "override");
      if (p[1] !== o.inFlight) o.res.update("in_flight", o.inFlight, "override");
      if (p[2] !== o.errors) o.res.update("errors", o.errors, "override");
      o.published = [o.requests, o.inFlight, o.errors];
    }
  } catch {
    // instrumentation never throws into the program
  }
}

/** `GET /path` without the query, made once per method and path (routes.ts keeps them). */
function sourceName(method: string, path: string): string {
  const q = path.indexOf("?");
  return requestName(method, q < 0 ? path : path.slice(0, q));
}

function begin(holder: object, origin: string, source: string): void {
  const o = originFor(origin);
  if (!o.res.enabled) return;
  // The op is made in the sender's slice: the console gives it to the task running now.
  const op = o.res.op(source);
  if (!op.enabled) return;
  (holder as WithOp)[OP] = { op, origin: o, done: false };
  op.poll("send", false);
  o.requests++;
  o.inFlight++;
}

function headers(holder: object, status: number): void {
  const st = (holder as WithOp)[OP];
  if (st === undefined || st.done) return;
  st.op.update("status", status, "override");
}

function end(holder: object, error: boolean): void {
  const st = (holder as WithOp)[OP];
  if (st === undefined || st.done) return;
  st.done = true;
  st.op.poll("response", true);
  if (error) {
    st.op.update("error", true, "override");
    st.origin.errors++;
  }
  st.origin.inFlight--;
  st.op.close();
}

function safe<T>(fn: (m: T) => void): (m: unknown) => void {
  return (m) => {
    try {
      fn(m as T);
    } catch {
      // instrumentation never throws into the program
    }
  };
}

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path: string;
}

const onUndiciCreate = safe<{ request: UndiciRequest }>(({ request }) =>
  begin(
    request,
    String(request.origin ?? "unknown"),
    sourceName(request.method ?? "GET", request.path),
  ),
);
const onUndiciHeaders = safe<{ request: UndiciRequest; response: { statusCode: number } }>(
  ({ request, response }) => headers(request, response.statusCode),
);
const onUndiciTrailers = safe<{ request: UndiciRequest }>(({ request }) => end(request, false));
const onUndiciError = safe<{ request: UndiciRequest }>(({ request }) => end(request, true));

const onHttpStart = safe<{ request: ClientRequest }>(({ request }) => {
  const proto = (request as { protocol?: string }).protocol ?? "http:";
  // The Host header carries the port when it is not the protocol's default, as an origin does.
  const host = String(request.getHeader("host") ?? request.host ?? "unknown");
  begin(request, `${proto}//${host}`, sourceName(request.method, request.path));
});
const onHttpResponse = safe<{ request: ClientRequest; response: IncomingMessage }>(
  ({ request, response }) => {
    headers(request, response.statusCode ?? 0);
    end(request, false);
  },
);
const onHttpError = safe<{ request: ClientRequest }>(({ request }) => end(request, true));

const SUBSCRIPTIONS: [string, (m: unknown) => void][] = [
  ["undici:request:create", onUndiciCreate],
  ["undici:request:headers", onUndiciHeaders],
  ["undici:request:trailers", onUndiciTrailers],
  ["undici:request:error", onUndiciError],
  ["http.client.request.start", onHttpStart],
  ["http.client.response.finish", onHttpResponse],
  ["http.client.request.error", onHttpError],
];

/** Starts showing outgoing requests; returns the function that stops it. */
export function instrumentOutgoing(flushMs = FLUSH_MS): () => void {
  for (const [name, fn] of SUBSCRIPTIONS) dc.subscribe(name, fn);
  // Made here, outside any task: its callbacks are the root task's, not a request's.
  const timer = setInterval(flush, flushMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    for (const [name, fn] of SUBSCRIPTIONS) dc.unsubscribe(name, fn);
    flush();
    for (const o of origins.values()) o.res.close();
    origins.clear();
  };
}
