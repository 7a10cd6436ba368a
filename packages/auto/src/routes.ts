// A request's name: the route pattern its framework matched (Express 5 and Fastify 5 publish it
// on diagnostics channels), else its path with the parts that look like ids collapsed to `:id`.

const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{12,}$/i;
/** Long tokens mixing letters and digits: base64/nanoid style ids, hashes, slugs with numbers. */
const TOKEN = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$/;
/** A path longer than this is cut: names are shown in a console column and kept per task. */
const MAX_PATH = 120;

/** Recent URLs and their collapsed paths: a service sees the same few URLs again and again. */
const recent = new Map<string, string>();
const RECENT_MAX = 1024;

/** `/users/42/orders/9f1c...` → `/users/:id/orders/:id`; the query string is dropped. */
export function collapsePath(url: string): string {
  let out = recent.get(url);
  if (out === undefined) {
    out = collapse(url);
    // Unbounded URLs (ids, queries) must not grow it: start over when full.
    if (recent.size >= RECENT_MAX) recent.clear();
    if (url.length <= MAX_PATH) recent.set(url, out);
  }
  return out;
}

function collapse(url: string): string {
  let path = url;
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  if (path === "" || path[0] !== "/") path = `/${path}`;
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as string;
    if (NUMERIC.test(p) || UUID.test(p) || HEX.test(p) || TOKEN.test(p)) parts[i] = ":id";
  }
  const out = parts.join("/");
  return out.length > MAX_PATH ? `${out.slice(0, MAX_PATH)}…` : out;
}

/** Recent names by method then route, so each request does not build (and flatten) its own. */
const names = new Map<string, Map<string, string>>();

/** A task name as `METHOD route`. */
export function requestName(method: string | undefined, route: string): string {
  const m = method ?? "GET";
  let byRoute = names.get(m);
  if (byRoute === undefined) {
    // Methods are few, but a client may send any token: bounded as above.
    if (names.size >= 64) names.clear();
    byRoute = new Map();
    names.set(m, byRoute);
  }
  let name = byRoute.get(route);
  if (name === undefined) {
    name = `${m} ${route}`;
    if (byRoute.size >= RECENT_MAX) byRoute.clear();
    byRoute.set(route, name);
  }
  return name;
}
