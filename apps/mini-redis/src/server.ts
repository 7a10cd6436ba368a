// The mini-redis server: listens, admits connections up to the client limit, and shuts down
// gracefully. `startServer` is what the `mini-redis-server` command, the tests, the benchmark and
// the demo all call.
import net from "node:net";
import { Mutex, Semaphore, type SemaphorePermit, spawn } from "@periscope/runtime";
import { type Clock, systemClock } from "./clock.ts";
import { Connection } from "./connection.ts";
import { Db } from "./db.ts";
import { openFileLimit, RESERVED_FDS } from "./fd-limit.ts";
import { DEFAULT_PUBSUB_LIMITS } from "./output-limit.ts";
import { DEFAULT_LIMITS } from "./parse.ts";
import { PubSub } from "./pubsub.ts";
import type { Shared } from "./session.ts";
import { adoptSocket } from "./socket-read.ts";
import type { ServerMetrics } from "./telemetry.ts";
import { debugEvent, errorEvent, infoEvent, T_SERVER, warnEvent } from "./trace.ts";

/** The port Redis and mini-redis listen on by default. */
export const DEFAULT_PORT = 6379;

/** Redis's default `maxclients`. */
export const DEFAULT_MAX_CLIENTS = 10_000;

export interface ServerOptions {
  /** TCP port; 0 picks a free one (see the returned `port`). Default 6379. */
  port?: number;
  /** Address to bind. Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  /**
   * Most clients connected at once (default 10,000, as Redis; lowered to fit the open-file
   * limit, with a warning); the next one gets an error and is closed.
   */
  maxClients?: number;
  /**
   * Seconds after which a client that sent and received nothing is closed, as Redis's
   * `timeout`; subscribers are exempt. Default 0: never.
   */
  timeout?: number;
  /** Source of time for key expiry and the idle timeout; tests inject a manual clock. */
  clock?: Clock;
  /** Longest bulk string accepted, bytes (default 512 MB). */
  maxBulkLength?: number;
  /** Most arguments in one command (default 1,048,576). */
  maxMultibulkLength?: number;
  /**
   * Unsent bytes a subscriber may accumulate before it is disconnected (default 32 MiB; 0: no
   * limit). Redis's `client-output-buffer-limit pubsub` hard limit.
   */
  pubsubOutputLimit?: number;
  /**
   * Unsent bytes a subscriber may stay over for `pubsubSoftSeconds` only, continuously, before it
   * is disconnected (default 8 MiB and 60 s, Redis's soft limit; 0: no soft limit).
   */
  pubsubSoftLimit?: number;
  pubsubSoftSeconds?: number;
  /** OpenTelemetry instruments (`--otlp`, `--metrics-port`); none when absent. */
  metrics?: ServerMetrics | undefined;
  /** How long `close()` waits for clients to take their last replies before cutting them (ms). */
  shutdownTimeout?: number;
}

export interface RunningServer {
  /** The port actually bound. */
  port: number;
  /** The key space; exposed for tests (e.g. to run the expiry purge after moving the clock). */
  db: Db;
  /** The client limit in force (`maxClients`, or less to fit the open-file limit). */
  maxClients: number;
  /**
   * Closes the clients idle for longer than `timeout` now and returns how many; a timer calls
   * it every second, tests call it after moving the clock.
   */
  closeIdleClients(): number;
  /**
   * Closes the subscribers that have been over the soft output limit for too long (or are over
   * the hard one) now, and returns how many; the same timer calls it every second, tests call it
   * after moving the clock.
   */
  checkOutputLimits(): number;
  /**
   * Graceful shutdown: stop accepting, deliver the replies of every command already received,
   * close every connection, stop the purge task. Resolves when all sockets are closed.
   */
  close(): Promise<void>;
  /** Immediate shutdown: drop every connection now (unsent replies are lost). */
  destroy(): void;
}

const MAX_CLIENTS_REPLY = Buffer.from("-ERR max number of clients reached\r\n");

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const clock = options.clock ?? systemClock;
  const db = new Db(clock);
  const shared: Shared = {
    db,
    dbLock: new Mutex(db),
    pubsub: new PubSub(options.metrics),
    metrics: options.metrics,
    clock,
    startedAt: clock.now(),
    host,
    port: options.port ?? DEFAULT_PORT,
    maxClients: fitMaxClients(options.maxClients ?? DEFAULT_MAX_CLIENTS),
    maxBulkLength: options.maxBulkLength ?? DEFAULT_LIMITS.maxBulkLength,
    maxMultibulkLength: options.maxMultibulkLength ?? DEFAULT_LIMITS.maxMultibulkLength,
    pubsubLimits: {
      hard: options.pubsubOutputLimit ?? DEFAULT_PUBSUB_LIMITS.hard,
      soft: options.pubsubSoftLimit ?? DEFAULT_PUBSUB_LIMITS.soft,
      softSeconds: options.pubsubSoftSeconds ?? DEFAULT_PUBSUB_LIMITS.softSeconds,
    },
    timeout: options.timeout ?? 0,
    lastSecurityWarning: Number.NEGATIVE_INFINITY,
    clients: 0,
  };
  const shutdownTimeout = options.shutdownTimeout ?? 10_000;
  // The connection limit as a runtime Semaphore, so the console shows permits in use.
  const limit = new Semaphore(shared.maxClients);
  const permits = new Map<Connection, SemaphorePermit>();
  const connections = new Set<Connection>();
  let nextId = 1;
  let closing: Promise<void> | undefined;
  let allClosed: (() => void) | undefined;

  const onClosed = (c: Connection) => {
    permits.get(c)?.release();
    shared.metrics?.connections.add(-1);
    permits.delete(c);
    connections.delete(c);
    shared.clients = connections.size;
    if (closing && connections.size === 0) allClosed?.();
  };

  // allowHalfOpen: when a client half-closes, we decide when our side ends (after flushing the
  // replies to its last commands), not Node. No Nagle: replies are small and latency matters
  // more than packet count, as in Redis. Keep-alive probes after 300 s of silence find
  // clients that vanished without a FIN, as Redis's `tcp-keepalive 300` does. pauseOnConnect:
  // an accepted socket does not start reading, so that it can be served by one that reads into
  // a shared buffer (socket-read.ts).
  const netOptions = {
    pauseOnConnect: true,
    noDelay: true,
    allowHalfOpen: true,
    keepAlive: true,
    keepAliveInitialDelay: 300_000,
  };
  const server = net.createServer(netOptions, (accepted) => {
    if (closing) {
      accepted.destroy();
      return;
    }
    // The connection limit. tokio's mini-redis makes the 251st client wait (a semaphore permit
    // is taken before `accept`); Redis accepts it, replies with an error and closes. We do what
    // Redis does: a client that is told why fails fast instead of hanging, so we take a permit
    // with tryAcquire rather than waiting for one.
    const permit = limit.tryAcquire();
    if (permit === undefined) {
      warnEvent(T_SERVER, "max number of clients reached, rejecting connection", {
        peer: `${accepted.remoteAddress}:${accepted.remotePort}`,
        max_clients: shared.maxClients,
      });
      // Read and drop whatever it sends (closing with unread input would reset the connection
      // and could lose the error), and cut it off if it does not leave.
      accepted.on("error", () => {});
      accepted.on("end", () => accepted.destroy());
      accepted.resume();
      accepted.end(MAX_CLIENTS_REPLY);
      setTimeout(() => accepted.destroy(), 2000).unref();
      return;
    }
    // Reads start on a later turn of the event loop, once `conn` is set.
    const socket = adoptSocket(accepted, server, (bytes) => conn.onBytes(bytes));
    const conn: Connection = new Connection(socket, shared, nextId++, onClosed);
    permits.set(conn, permit);
    shared.metrics?.connections.add(1);
    connections.add(conn);
    // One task per connection, as tokio's mini-redis spawns one per accepted socket.
    spawn(() => conn.run(), { name: "connection", fields: { peer: conn.peer } });
    shared.clients = connections.size;
    debugEvent(T_SERVER, "accepted connection", { peer: conn.peer, id: conn.id });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(shared.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Once listening, errors come from accept(); tokio's mini-redis retries with a back-off, Node
  // retries by itself, so log and carry on.
  server.on("error", (err) => {
    errorEvent(T_SERVER, "failed to accept", { error: err.message });
  });
  const address = server.address();
  if (address && typeof address === "object") shared.port = address.port;
  infoEvent(T_SERVER, "accepting inbound connections", { addr: `${host}:${shared.port}` });

  const closeIdleClients = () => {
    if (shared.timeout <= 0) return 0;
    const now = clock.now();
    let n = 0;
    for (const c of connections) if (c.closeIfIdle(now, shared.timeout * 1000)) n++;
    return n;
  };
  const checkOutputLimits = () => {
    let n = 0;
    for (const c of connections) if (c.checkOutputLimit()) n++;
    return n;
  };
  // Redis looks at every client about once a second (clientsCron): the idle timeout, and the
  // soft output limit of a subscriber that receives nothing more. So does this timer.
  const idleTimer = setInterval(() => {
    closeIdleClients();
    checkOutputLimits();
  }, 1000).unref();

  const destroy = () => {
    clearInterval(idleTimer);
    server.close();
    for (const c of connections) c.destroy();
    shared.db.close();
  };

  const close = () => {
    if (closing) return closing;
    infoEvent(T_SERVER, "shutting down", { connections: connections.size });
    closing = new Promise<void>((resolve) => {
      // Stop accepting; the listening socket closes now, established connections stay.
      clearInterval(idleTimer);
      server.close();
      const done = () => {
        clearTimeout(timer);
        shared.db.close();
        resolve();
      };
      // A client that never reads its replies would hold shutdown forever; cut it after a while.
      const timer = setTimeout(() => {
        warnEvent(T_SERVER, "shutdown timed out, closing remaining connections", {
          connections: connections.size,
        });
        for (const c of connections) c.destroy();
      }, shutdownTimeout);
      timer.unref();
      allClosed = done;
      for (const c of [...connections]) c.shutdown();
      if (connections.size === 0) done();
    });
    return closing;
  };

  return {
    port: shared.port,
    db: shared.db,
    maxClients: shared.maxClients,
    closeIdleClients,
    checkOutputLimits,
    close,
    destroy,
  };
}

/**
 * Keeps the client limit within the open-file limit, as Redis does at startup: a server out of
 * descriptors cannot even accept the connection that would tell the next client why.
 */
function fitMaxClients(wanted: number): number {
  const limit = openFileLimit();
  if (limit === undefined || wanted + RESERVED_FDS <= limit) return wanted;
  const fitted = Math.max(1, limit - RESERVED_FDS);
  warnEvent(
    T_SERVER,
    `maxclients has been reduced to ${fitted} to fit the open-file limit; raise 'ulimit -n' for more`,
    { requested: wanted, open_file_limit: limit },
  );
  return fitted;
}
