// Addresses and listening, shared by every port of the viewer: host:port flags, bracketed IPv6,
// and the one clear error a taken port gives (naming the flag that moves it).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

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

export function fmtHost(h: string): string {
  return h.includes(":") ? `[${h}]` : h;
}

export function listen(server: Server, host: string, port: number, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(portError(e, flag, host, port)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export function portError(e: unknown, flag: string, host: string, port: number): Error {
  const msg = (e as Error).message ?? String(e);
  if (/EADDRINUSE|address already in use|No address added/i.test(msg)) {
    return new Error(
      `PERISCOPE_VIEWER_PORT_IN_USE: ${host}:${port} is taken (is another viewer or Jaeger running?); pass ${flag} with another port`,
    );
  }
  return new Error(`PERISCOPE_VIEWER_LISTEN: cannot listen on ${host}:${port} for ${flag}: ${msg}`);
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
