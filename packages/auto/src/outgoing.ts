// Outgoing HTTP (fetch/undici and http.request) as async ops on one resource per origin, made in
// the task whose code sent the request, from undici's and node:http's diagnostics channels.
import dc from "node:diagnostics_channel";
import type { ClientRequest, IncomingMessage } from "node:http";
import { type AsyncOp, Resource } from "@periscope/runtime";

const OP = Symbol("periscope.auto.op");
/** Origins kept as resources; past this, requests to new origins share one "other" resource. */
const MAX_ORIGINS = 256;

interface OpState {
  op: AsyncOp;
  resource: Resource;
  done: boolean;
}
type WithOp = { [OP]?: OpState };

const origins = new Map<string, Resource>();

function originResource(origin: string): Resource {
  let r = origins.get(origin);
  if (r?.enabled) return r;
  const key = origins.size >= MAX_ORIGINS && r === undefined ? "other origins" : origin;
  r = origins.get(key);
  if (r === undefined || !r.enabled) {
    r = new Resource({ target: "node::http::client", concreteType: key, kind: "Http" });
    origins.set(key, r);
  }
  return r;
}

function begin(holder: object, origin: string, source: string): void {
  const resource = originResource(origin);
  if (!resource.enabled) return;
  // The op is made in the sender's slice: the console gives it to the task running now.
  const op = resource.op(source);
  if (!op.enabled) return;
  (holder as WithOp)[OP] = { op, resource, done: false };
  op.poll("send", false);
  resource.update("requests", 1, "add");
  resource.update("in_flight", 1, "add");
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
    st.resource.update("errors", 1, "add");
  }
  st.resource.update("in_flight", 1, "sub");
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
    `${request.method ?? "GET"} ${request.path.split("?")[0]}`,
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
  begin(request, `${proto}//${host}`, `${request.method} ${request.path.split("?")[0]}`);
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
export function instrumentOutgoing(): () => void {
  for (const [name, fn] of SUBSCRIPTIONS) dc.subscribe(name, fn);
  return () => {
    for (const [name, fn] of SUBSCRIPTIONS) dc.unsubscribe(name, fn);
    for (const r of origins.values()) r.close();
    origins.clear();
  };
}
