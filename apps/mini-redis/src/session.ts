// What a command can see and do: the connection it came from and the state shared by the server.
// Commands get this narrow view instead of the Connection itself, so they stay easy to test and
// know nothing about sockets.
import type { Mutex } from "@periscope/runtime";
import type { Clock } from "./clock.ts";
import type { Db } from "./db.ts";
import type { OutputLimits } from "./output-limit.ts";
import type { PubSub, Subscriber } from "./pubsub.ts";
import type { ReplyWriter } from "./reply.ts";
import type { ServerMetrics } from "./telemetry.ts";

/** Server-wide state, one per `startServer`. */
export interface Shared {
  readonly db: Db;
  /** The Db behind a runtime Mutex: commands run holding it, so the console shows it. */
  readonly dbLock: Mutex<Db>;
  readonly pubsub: PubSub;
  /** OpenTelemetry instruments, when exported. */
  readonly metrics: ServerMetrics | undefined;
  readonly clock: Clock;
  readonly startedAt: number;
  readonly host: string;
  port: number;
  readonly maxClients: number;
  readonly maxBulkLength: number;
  readonly maxMultibulkLength: number;
  /** `client-output-buffer-limit pubsub`: when a subscriber that does not read is cut. */
  readonly pubsubLimits: OutputLimits;
  /** Seconds a client may stay idle before it is closed; 0: never (Redis's `timeout`). */
  readonly timeout: number;
  /** Clock time of the last "Possible SECURITY ATTACK" warning (one a minute at most). */
  lastSecurityWarning: number;
  /** Number of clients connected right now. */
  clients: number;
}

export interface Session {
  readonly shared: Shared;
  /** Where replies go; flushed once per read from the socket. */
  readonly out: ReplyWriter;
  /** The connection as a pub/sub subscriber. */
  readonly subscriber: Subscriber;
  /** Unique per server, like Redis's CLIENT ID. */
  readonly id: number;
  /** Set by CLIENT SETNAME or HELLO SETNAME. */
  name: string | undefined;
  /** Channels this connection listens on; non-empty means "subscribe mode". */
  readonly channels: Set<string>;
  /** Close the connection once the replies written so far are sent (QUIT). */
  closeAfterReply(): void;
}
