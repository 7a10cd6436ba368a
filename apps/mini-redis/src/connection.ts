// One client connection: reads bytes, parses commands, runs them, and writes the replies back.
// This is tokio mini-redis's `Handler` and `Connection` in one: `run()` is the body of the
// connection's @periscope/runtime task, a loop over reads as `Handler::run` loops on `read_frame`.
import type { Socket } from "node:net";
import {
  spawn,
  type UnboundedReceiver,
  type UnboundedSender,
  unboundedChannel,
} from "@periscope/runtime";
import { type Args, CommandError } from "./args.ts";
import { arityError, lookup, subscribeModeError, unknownCommandError } from "./cmd/table.ts";
import { type Flushable, scheduleFlush } from "./flusher.ts";
import { type CommandSink, RequestParser } from "./parse.ts";
import type { Subscriber } from "./pubsub.ts";
import { ReplyWriter } from "./reply.ts";
import type { Session, Shared } from "./session.ts";
import {
  commandSpan,
  commandSpansEnabled,
  connectionSpan,
  debugEvent,
  errorEvent,
  type SpanHandle,
  T_CMD,
  T_CONN,
  warnEvent,
} from "./trace.ts";

/**
 * Unsent reply bytes above which we stop reading from a (non-subscriber) client until the
 * socket drains. A client that pipelines requests but never reads replies would otherwise make
 * the server buffer replies without bound.
 */
const HIGH_WATER = 8 * 1024 * 1024;

/** How long a closing connection waits for the client's FIN after our last byte left. */
const LINGER_MS = 2000;

/** The connection whose commands are running right now (a PUBLISH may reach its own sender). */
let handling: Connection | undefined;

export class Connection implements CommandSink, Flushable, Session, Subscriber {
  readonly shared: Shared;
  readonly out = new ReplyWriter();
  readonly subscriber: Subscriber = this;
  readonly id: number;
  name: string | undefined;
  readonly channels = new Set<string>();
  readonly peer: string;

  private readonly socket: Socket;
  private readonly parser: RequestParser;
  private readonly span: SpanHandle;
  /** Set by QUIT and protocol errors: send what is written, then close. */
  private closing = false;
  /** Set once the socket is gone; nothing more is written. */
  private dead = false;
  private flushScheduled = false;
  private readonly onClosed: (c: Connection) => void;
  /** Reads not yet handled by the task; `null` is the client's FIN. */
  private readonly inbox: (Buffer | null)[] = [];
  /** Set while the task waits for a read. */
  private wakeReader: (() => void) | undefined;
  /** The subscriber task's queue of encoded messages, while in subscribe mode. */
  private messages: UnboundedSender<Buffer> | undefined;
  private messagesRx: UnboundedReceiver<Buffer> | undefined;

  constructor(socket: Socket, shared: Shared, id: number, onClosed: (c: Connection) => void) {
    this.socket = socket;
    this.shared = shared;
    this.id = id;
    this.onClosed = onClosed;
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.parser = new RequestParser({
      maxBulkLength: shared.maxBulkLength,
      maxMultibulkLength: shared.maxMultibulkLength,
    });
    this.span = connectionSpan(this.peer, id);
    // Socket callbacks run in the context the socket was accepted in, not in the task: they only
    // queue the read and wake the task, which does the work (so the console counts it as the
    // connection task's polls, as tokio's per-connection task does its own reads).
    socket.on("data", (chunk: Buffer) => {
      if (this.closing || this.dead) return;
      this.inbox.push(chunk);
      this.wake();
    });
    socket.on("error", (err) => {
      // Resets and broken pipes are how clients usually leave; nothing to report above debug.
      debugEvent(T_CONN, "connection error", { peer: this.peer, error: err.message }, this.span);
    });
    socket.on("close", () => {
      this.onClose();
      this.wake();
    });
    // The server runs with allowHalfOpen, so the client's FIN does not end our side behind our
    // back: the task sends the replies to its last commands first, then closes.
    socket.on("end", () => {
      this.inbox.push(null);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.wakeReader;
    if (w !== undefined) {
      this.wakeReader = undefined;
      w();
    }
  }

  /**
   * The connection task (spawned by the server, one per client): handles each read in turn
   * until the socket is closed. Reads that arrived together are handled back to back, in one
   * poll.
   */
  async run(): Promise<void> {
    while (!this.dead) {
      const chunk = this.inbox.shift();
      if (chunk === undefined) {
        await new Promise<void>((resolve) => {
          this.wakeReader = resolve;
        });
      } else if (chunk === null) {
        this.finish();
      } else if (!this.closing) {
        // Make the connection's span current while its commands run, so whatever they log (and
        // the spans they open) nests under it. Skipped when the span is disabled: that is free.
        if (this.span.isDisabled) this.handleRead(chunk);
        else this.span.inScope(() => this.handleRead(chunk));
      }
    }
    this.inbox.length = 0;
  }

  /**
   * Handles one read: every complete command in it runs now, and all their replies go out
   * together, in one write, at the end of this event-loop turn (see flusher.ts).
   */
  private handleRead(chunk: Buffer): void {
    handling = this;
    try {
      this.parser.feed(chunk, this);
    } finally {
      handling = undefined;
    }
    if (this.closing) this.finish();
    else this.requestFlush();
  }

  private requestFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    scheduleFlush(this);
  }

  flushPending(): void {
    this.flushScheduled = false;
    this.flush();
    if (this.socket.writableLength > HIGH_WATER && this.channels.size === 0 && !this.closing) {
      // Back-pressure: stop reading until the client has taken its replies. Without this, a
      // client that pipelines requests but never reads would make us buffer replies forever.
      this.socket.pause();
      this.socket.once("drain", () => this.socket.resume());
    }
  }

  onCommand(args: Args): boolean {
    const cmd = lookup(args);
    if (cmd === undefined) {
      this.out.error(unknownCommandError(args));
      return true;
    }
    const arity = arityError(cmd, args);
    if (arity !== undefined) {
      this.out.error(arity);
      return true;
    }
    if (this.channels.size > 0 && !cmd.inSubscribeMode && !this.out.resp3) {
      this.out.error(subscribeModeError(cmd));
      return true;
    }
    // One span per command, but only when a subscriber wants it: on the hot path a disabled
    // span costs this one check.
    const span = commandSpansEnabled()
      ? commandSpan(
          this.span,
          cmd.name,
          cmd.keyIndex > 0 ? keyForSpan(args, cmd.keyIndex) : undefined,
        )
      : undefined;
    // The Db lock (tokio's mini-redis keeps its state behind a std Mutex). Commands never await,
    // so the critical section is one synchronous call and the lock is always free here: tryLock
    // is the whole cost, and the console still shows the lock and how often it is taken.
    const metrics = this.shared.metrics;
    const t0 = metrics === undefined ? 0 : performance.now();
    const guard = this.shared.dbLock.tryLock();
    if (guard === undefined) {
      errorEvent(T_CMD, "db lock held across an await (a bug)", { name: cmd.name }, this.span);
      this.out.error("ERR internal error in mini-redis; the server log has the details");
      span?.close();
      return true;
    }
    try {
      cmd.run(args, this);
    } catch (err) {
      if (err instanceof CommandError) {
        this.out.error(err.message);
      } else {
        // A bug in a command must cost one reply, not the whole server.
        errorEvent(T_CMD, "command failed", { name: cmd.name, error: String(err) }, this.span);
        this.out.error("ERR internal error in mini-redis; the server log has the details");
      }
    } finally {
      guard.release();
      span?.close();
      metrics?.command(cmd.name, (performance.now() - t0) / 1000);
    }
    return !this.closing;
  }

  onProtocolError(message: string): void {
    // Redis answers a malformed request with an error and then closes: after a framing error
    // there is no telling where the next command starts.
    debugEvent(T_CONN, "protocol error", { peer: this.peer, error: message }, this.span);
    this.out.error(`ERR ${message}`);
    this.closing = true;
  }

  closeAfterReply(): void {
    this.closing = true;
  }

  /**
   * Receives a published message (called by the publisher): it goes on this connection's
   * channel, which the subscriber task drains (see `startSubscriberTask`).
   */
  deliver(frame: Buffer): void {
    if (this.dead || this.closing) return;
    if (handling === this) {
      // RESP3 lets a subscriber PUBLISH to its own channel; Redis queues the message before the
      // PUBLISH reply, so it skips the channel (after whatever is already waiting in it).
      this.drainMessages();
      this.push(frame);
      return;
    }
    if (this.messages === undefined) this.startSubscriberTask();
    this.messages?.send(frame);
  }

  /** Moves every message already in the channel to the output. */
  private drainMessages(): void {
    const rx = this.messagesRx;
    if (rx === undefined) return;
    let r = rx.tryRecv();
    while (r.ok) {
      this.push(r.value);
      r = rx.tryRecv();
    }
  }

  /**
   * In subscribe mode a second task moves published messages from the connection's unbounded
   * mpsc channel to its output, as tokio's mini-redis merges its subscription streams. The
   * channel never holds more than one publisher's batch: the task drains it right after.
   */
  private startSubscriberTask(): void {
    const [tx, rx] = unboundedChannel<Buffer>();
    this.messages = tx;
    this.messagesRx = rx;
    spawn(
      async () => {
        for (;;) {
          this.drainMessages();
          const frame = await rx.recv();
          if (frame === undefined) return;
          this.push(frame);
        }
      },
      { name: "subscriber", fields: { peer: this.peer } },
    );
  }

  /** Leaves subscribe mode's channel, so the subscriber task ends. */
  private stopSubscriberTask(): void {
    this.messages?.close();
    this.messages = undefined;
    this.messagesRx = undefined;
  }

  /**
   * A published message reaches the subscriber's output buffer, sent after the publisher's whole
   * batch, so many messages become one write.
   */
  private push(frame: Buffer): void {
    if (this.dead || this.closing) return;
    if (
      this.socket.writableLength + this.out.length + frame.length >
      this.shared.pubsubOutputLimit
    ) {
      // Redis's `client-output-buffer-limit pubsub`: a subscriber that does not read its
      // messages would otherwise make the server hold them all. Disconnect it instead.
      warnEvent(
        T_CONN,
        "subscriber output buffer limit reached, closing connection",
        {
          peer: this.peer,
          pending: this.socket.writableLength + this.out.length,
          limit: this.shared.pubsubOutputLimit,
        },
        this.span,
      );
      this.out.discard();
      this.socket.destroy();
      this.onClose();
      return;
    }
    this.out.pushFrame(frame);
    this.requestFlush();
  }

  private flush(): void {
    if (this.dead) {
      this.out.discard();
      return;
    }
    this.out.flush(this.socket);
  }

  /**
   * Graceful shutdown of this connection: replies to everything already received are in the
   * output (commands run as soon as they are read), so send them and close our side.
   * Returns when the socket is fully closed.
   */
  shutdown(): void {
    this.finish();
  }

  /**
   * Sends what is pending, then closes our side (FIN). Used after QUIT, a protocol error, the
   * client's own FIN, and at shutdown.
   */
  private finish(): void {
    if (this.dead || this.socket.writableEnded) return;
    this.closing = true;
    this.flush();
    this.socket.end();
    // Keep reading (and ignoring) input: the socket only closes once the client's FIN is read,
    // and a socket paused for back-pressure would never read it. A client that never sends
    // its FIN is cut off a little after our last byte left.
    this.socket.resume();
    this.socket.once("finish", () => setTimeout(() => this.socket.destroy(), LINGER_MS).unref());
  }

  /** Closes at once, dropping unsent replies (the second Ctrl-C, or a shutdown timeout). */
  destroy(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.dead) return;
    this.dead = true;
    this.closing = true;
    // A closed subscriber must leave its channels, or publishers would keep feeding it.
    for (const channel of this.channels) this.shared.pubsub.unsubscribe(channel, this);
    this.channels.clear();
    this.stopSubscriberTask();
    this.out.discard();
    debugEvent(T_CONN, "connection closed", { peer: this.peer }, this.span);
    this.span.close();
    this.onClosed(this);
  }
}

/** The key as a span field: text, cut at 128 bytes (a key may be 512 MB). */
function keyForSpan(args: Args, i: number): string {
  return args.len(i) > 128 ? `${args.view(i).subarray(0, 128).toString("utf8")}…` : args.text(i);
}
