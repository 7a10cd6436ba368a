// HTTPS and TLS: a request's socket is the TLSSocket that wraps the TCP socket the server
// accepted (the one with the connection task), so its connection is found through that wrapper.
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";

/**
 * The accepted TCP socket a server-side TLSSocket wraps, or undefined. Node keeps it as
 * `_parent` (undocumented, but set by every TLSSocket that wraps a socket, on Node 22 and 24
 * alike); no public property or diagnostics channel links the two.
 */
export function tlsParent(socket: Socket): Socket | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const parent = (socket as TLSSocket & { _parent?: unknown })._parent;
  return parent !== null && typeof parent === "object" ? (parent as Socket) : undefined;
}
