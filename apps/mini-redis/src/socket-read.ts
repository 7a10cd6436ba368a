// Reading client sockets without a new Buffer per read.
//
// A `net.Socket` in its default mode makes, for every read: a 64 KiB malloc that is then shrunk to
// what was read, an ArrayBuffer and a Buffer around it, and a trip through the Readable stream
// (push, the 'data' event). Under redis-benchmark unpipelined that is one read per request and
// most of Node's cost per request: a 15-line Node server that answers each read costs 14,400
// user-space instructions per request (callgrind), the same server reading into one reused
// buffer 6,900, redis-server 5,700 (see the README).
//
// Node reads into a buffer of our own with the `onread: { buffer, callback }` socket option,
// which skips all of that, but `net.Server` does not take it for the sockets it accepts. So the
// server accepts with `pauseOnConnect` (the accepted socket never starts reading) and we wrap
// its handle in a new Socket that has the option; the first Socket is dropped unread.
import net, { type Server, type Socket } from "node:net";

/** What a read hands over: the bytes, valid only until the callback's microtasks are done. */
export type OnBytes = (bytes: Buffer) => void;

/**
 * The one buffer every client socket reads into. One is enough for all of them: Node runs a
 * read's callback and then every microtask it queued (the connection task it woke, which parses
 * the read and copies what it keeps) before it makes the next read on any socket. A read that
 * its connection cannot handle at once is copied (see `ownCopy`).
 */
const SHARED = Buffer.allocUnsafeSlow(64 * 1024);

/** Whether `chunk` lies in the shared read buffer (so must be copied to be kept). */
export function isSharedRead(chunk: Buffer): boolean {
  return chunk.buffer === SHARED.buffer;
}

/** A copy of a read with its own memory block (so `release` can free it once parsed). */
export function ownCopy(chunk: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy);
  return copy;
}

interface SocketInternals {
  _handle?: unknown;
  _server?: Server | null;
  server?: Server | null;
}

/**
 * The socket to serve `accepted` on (accepted by `server`, created with `pauseOnConnect`): one
 * reading into the shared buffer and calling `onBytes` for each read, with the same handle, so
 * the same connection and the same TCP options (no delay, keep-alive) the server set on it.
 * Without a handle to take over (not a TCP socket), `accepted` itself, its 'data' events
 * feeding `onBytes`.
 */
export function adoptSocket(accepted: Socket, server: Server, onBytes: OnBytes): Socket {
  const old = accepted as unknown as SocketInternals;
  if (old._handle == null) {
    accepted.on("data", onBytes);
    accepted.resume();
    return accepted;
  }
  const socket = new net.Socket({
    handle: old._handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: {
      buffer: SHARED,
      callback: (n: number, buf: Uint8Array) => {
        onBytes((buf as Buffer).subarray(0, n));
        return true;
      },
    } as net.OnReadOpts,
  } as net.SocketConstructorOpts);
  // The server counted the accepted socket; its close is how the count comes down (server.close
  // waits for it), so the new socket takes that over. The old one is never closed nor read.
  const adopted = socket as unknown as SocketInternals;
  adopted.server = server;
  adopted._server = server;
  old._handle = null;
  old._server = null;
  return socket;
}
