// What every HTTP port of the viewer checks before it does any work: the Host header (DNS
// rebinding), the origin of browser requests (no CORS unless --cors-origin names it) and the
// CORS answer headers for origins that were allowed.
import type { IncomingMessage, ServerResponse } from "node:http";

export const LOOPBACK_NAMES = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

export interface GuardOptions {
  /** Whether the port is bound to a loopback address (then only loopback Host names pass). */
  loopback: boolean;
  /** Origins allowed to make cross-origin requests (exact "scheme://host[:port]"); none by default. */
  corsOrigins: readonly string[];
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.test(host);
}

/**
 * Answers the request itself (421, 403 or a CORS preflight) and returns false when the handler
 * must not run; otherwise sets the CORS headers an allowed origin needs and returns true.
 */
export function guard(
  req: IncomingMessage,
  res: ServerResponse,
  opts: GuardOptions,
  allowMethods: string,
): boolean {
  // A page on another site could resolve its own name to 127.0.0.1 (DNS rebinding); a loopback
  // port therefore only answers requests addressed to a loopback name.
  const hostHeader = (req.headers.host ?? "").replace(/:\d+$/, "");
  if (opts.loopback && !LOOPBACK_NAMES.test(hostHeader)) {
    plain(res, 421, "misdirected request: address the viewer as 127.0.0.1 or localhost\n");
    return false;
  }
  const origin = req.headers.origin;
  const allowed = typeof origin === "string" && opts.corsOrigins.includes(origin);
  if (allowed) {
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "origin");
  }
  if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
    if (!allowed) {
      plain(res, 403, CROSS_ORIGIN);
      return false;
    }
    res.writeHead(204, {
      "access-control-allow-methods": allowMethods,
      // Only the headers OTLP and Jaeger clients send; never an echo of what was asked.
      "access-control-allow-headers": "content-type, content-encoding, accept, x-requested-with",
      "access-control-max-age": "7200",
    });
    res.end();
    return false;
  }
  if (!allowed && isCrossSite(req)) {
    plain(res, 403, CROSS_ORIGIN);
    return false;
  }
  return true;
}

const CROSS_ORIGIN =
  "PERISCOPE_VIEWER_CROSS_ORIGIN: requests from other web origins are refused; start the viewer with --cors-origin ORIGIN to allow one\n";

/**
 * A request a browser made for a page of another origin: fetch/XHR/no-cors loads (Sec-Fetch-Site
 * cross-site or same-site, except top-level navigations such as a clicked link), or any request
 * carrying a foreign Origin. Programs (exporters, Grafana's server side, curl) send neither.
 */
function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") {
    return !(req.headers["sec-fetch-mode"] === "navigate" && req.method === "GET");
  }
  if (site === "same-origin" || site === "none") return false;
  const origin = req.headers.origin;
  if (typeof origin !== "string" || origin === "null") return origin === "null";
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
