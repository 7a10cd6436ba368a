// One client connection: reads bytes, parses commands, runs them, and writes the replies back.
// This is tokio mini-redis's `Handler` and `Connection` in one: `run()` is the body of the
// connection's @periscope/runtime task, a loop over reads as `Handler::run` loops on `read_frame`.
import type { Socket } from "node:net";
import type { Args } from "./args.ts";
import { warnCrossProtocol } from "./cross-protocol.ts";
import { type Flushable, scheduleFlush } from "./flusher.ts";
import { type LimitReached, OutputLimitState } from "./output-limit.ts";
import { type CommandSink, RequestParser } from "./parse.ts";
import type { Subscriber } from "./pubsub.ts";
import { type ReadItem, ReadQueue } from "./read-queue.ts";
import { release } from "./release.ts";
import { ReplyWriter } from "./reply.ts";
import { type CommandHost, runCommand } from "./run-command.ts";
import type { Shared } from "./session.ts";
import { isSharedRead, ownCopy } from "./socket-read.ts";
import { SubscriberTask } from "./subscriber-task.ts";
import {
  commandSpansEnabled,
  connectionSpan,
  debugEvent,
  type SpanHandle,
  T_CONN,
  warnEvent,
} from "./trace.ts";

/**
 * Unsent reply bytes queued in the socket above which a (non-subscriber) client's commands wait
 * until it has read some: a client that pipelines requests but never reads replies would
 * otherwise make the server buffer replies without bound. Redis buffers them all (and so holds
 * a gigabyte for a thousand pipelined GETs of 1 MiB); we hold this much plus the kernel's buffer.
 */
const HIGH_WATER = 1024 * 1024;

/**
 * Reply bytes one connection may produce before it sends them and lets the other connections
 * run: Redis's NET_MAX_WRITES_PER_EVENT. One client's big pipeline then costs the others one
 * turn of the event loop per 64 KiB, not the time to compute all of its replies.
 */
const TURN_BUDGET = 64 * 1024;

/** Reads at least this long are released once parsed (see `parse`). */
const RELEASE_READS_FROM = 16 * 1024;

/** How long a closing connection waits for the client's FIN after our last byte left. */
const LINGER_MS = 2000;

/** The connection whose commands are running right now (a PUBLISH may reach its own sender). */
let handling: Connection | undefined;

export class Connection implements CommandHost, CommandSink, Flushable, Subscriber {
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
  /** Set when commands stopped for the replies' sake; the rest of the read waits in the parser. */
  private yielded = false;
  /** Set by a graceful shutdown that found commands waiting in the parser: run them, then close. */
  private finishWhenDone = false;
  /** Clock time of the last read or write, for the idle timeout (kept only when there is one). */
  private lastInteraction: number;
  /** Whether the server has an idle timeout: without one, reads and writes skip the clock. */
  private readonly tracksIdle: boolean;
  private readonly onClosed: (c: Connection) => void;
  /** Reads not yet handled by the task; `null` is the client's FIN. */
  private readonly reads = new ReadQueue();
  /** Published messages on their way to the output, in subscribe mode. */
  private readonly messages: SubscriberTask;
  /** How long the output has been over the pub/sub soft limit. */
  private readonly limitState = new OutputLimitState();

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
    this.messages = new SubscriberTask(this.peer, (frame) => this.push(frame));
    this.lastInteraction = shared.clock.now();
    this.tracksIdle = shared.timeout > 0;
    socket.on("error", (err) => {
      // Resets and broken pipes are how clients usually leave; nothing to report above debug.
      debugEvent(T_CONN, "connection error", { peer: this.peer, error: err.message }, this.span);
    });
    socket.on("close", () => {
      this.onClose();
      this.reads.wakeEmpty();
    });
    // The server runs with allowHalfOpen, so the client's FIN does not end our side behind our
    // back: the task sends the replies to its last commands first, then closes.
    socket.on("end", () => this.reads.put(null));
  }

  /**
   * A read from the socket (see socket-read.ts; called by the server). Socket callbacks run in
   * the context the socket was accepted in, not in the task: they only queue the read and wake
   * the task, which does the work (so the console counts it as the connection task's polls, as
   * tokio's per-connection task does its own reads). A read in the shared buffer is valid until
   * this callback's microtasks are done: a waiting task parses it then, a busy one gets a copy.
   */
  onBytes(chunk: Buffer): void {
    if (this.closing || this.dead) return;
    if (this.tracksIdle) this.lastInteraction = this.shared.clock.now();
    this.reads.put(this.reads.waiting || !isSharedRead(chunk) ? chunk : ownCopy(chunk));
  }

  /**
   * The connection task (spawned by the server, one per client): handles each read in turn
   * until the socket is closed. Reads that arrived together are handled back to back, in one
   * poll.
   */
  async run(): Promise<void> {
    while (!this.dead) {
      if (this.yielded) {
        await this.makeRoom();
        continue;
      }
      let chunk: ReadItem;
      if (this.reads.size > 0) chunk = this.reads.take();
      else {
        await this.reads.wait();
        chunk = this.reads.takeHandedOver();
      }
      if (chunk === undefined) {
        // Woken with nothing to read: the socket closed.
      } else if (chunk === null) {
        this.finish();
      } else if (this.closing) {
        // Input after QUIT or an error is ignored.
      } else if (this.channels.size === 0 && this.socket.writableLength > HIGH_WATER) {
        // Back-pressure: the client has not read what we sent. Read no more until it does.
        this.reads.putBack(isSharedRead(chunk) ? ownCopy(chunk) : chunk);
        this.socket.pause();
        await this.drained();
        if (!this.closing) this.socket.resume();
      } else {
        this.handleRead(chunk);
      }
    }
    this.reads.clear();
  }

  /**
   * Handles one read (or, with `undefined`, what a yield left in the parser): every complete
   * command in it runs now, and all their replies go out together, in one write, at the end of
   * this event-loop turn (see flusher.ts). Commands stop early when their replies pass the
   * turn's budget; `makeRoom` then sends them and lets the others run before going on.
   */
  private handleRead(chunk: Buffer | undefined): void {
    handling = this;
    try {
      // Make the connection's span current while its commands run, so whatever they log (and
      // the spans they open) nests under it; but only when command spans are wanted (debug on
      // mini_redis::cmd). Below that level every event a command can log names its parent
      // already, and entering a span costs two AsyncLocalStorage frames per read: 0.3 µs, a
      // third of this server's own JavaScript per request at the default level (info).
      if (this.span.isDisabled || !commandSpansEnabled()) this.parse(chunk);
      else this.span.inScope(() => this.parse(chunk));
    } finally {
      handling = undefined;
    }
    if (this.closing || (this.finishWhenDone && !this.yielded)) this.finish();
    else if (!this.yielded) this.requestFlush();
  }

  private parse(chunk: Buffer | undefined): void {
    if (chunk === undefined) {
      this.parser.resume(this);
      return;
    }
    this.parser.feed(chunk, this);
    // The parser copied what it still needs. A big read's memory goes back now: a client
    // streaming a huge value would otherwise leave up to V8's external-memory margin (64 MB)
    // of spent reads behind. Small reads are left to the garbage collector, which is cheaper.
    // The shared read buffer is never released: the next read goes into it.
    if (chunk.length >= RELEASE_READS_FROM && !isSharedRead(chunk)) release(chunk);
  }

  /**
   * Sends the replies of a turn that used its budget, waits until the client has read enough
   * of them (or, if it keeps up, for one turn of the event loop, so that other connections'
   * reads are handled), then runs the commands still waiting in the parser. No more is read
   * from the socket meanwhile: the kernel's buffer and then TCP's flow control hold the rest.
   */
  private async makeRoom(): Promise<void> {
    this.socket.pause();
    this.flush();
    if (this.socket.writableLength > HIGH_WATER) await this.drained();
    else await new Promise<void>((resolve) => setImmediate(resolve));
    this.yielded = false;
    if (this.dead || this.closing) return;
    if (!this.finishWhenDone) this.socket.resume();
    this.handleRead(undefined);
  }

  /** Resolves when the socket has sent what was queued, or is closed. */
  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  private requestFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    scheduleFlush(this);
  }

  flushPending(): void {
    this.flushScheduled = false;
    this.flush();
  }

  onCommand(args: Args): boolean {
    runCommand(this, args, this.span);
    if (this.closing) return false;
    // Entering subscribe mode starts the subscriber task here, in this connection's own poll.
    if (this.channels.size > 0) this.messages.start();
    if (this.out.size < TURN_BUDGET) return true;
    this.yielded = true;
    return false;
  }

  /**
   * A `POST` or `Host:` command is an HTTP request (see cross-protocol.ts). Like Redis, drop the
   * connection at once, without replying even to the commands before it in the same read;
   * commands after it never run.
   */
  onHttpRequest(): void {
    warnCrossProtocol(this.shared, this.peer, this.span);
    this.closing = true;
    this.out.discard();
    this.socket.destroy();
  }

  /**
   * Closes the connection if it has been idle (nothing read or written) for longer than
   * `idleMs`, as Redis's `timeout` does; subscribers are left alone, as in Redis. Called by the
   * server's timer. Returns whether it closed.
   */
  closeIfIdle(now: number, idleMs: number): boolean {
    if (this.closing || this.channels.size > 0 || now - this.lastInteraction <= idleMs)
      return false;
    debugEvent(T_CONN, "closing idle client", { peer: this.peer }, this.span);
    this.closing = true;
    this.out.discard();
    this.socket.destroy();
    return true;
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
   * channel, which the subscriber task drains (see subscriber-task.ts).
   */
  deliver(frame: Buffer): void {
    if (this.dead || this.closing) return;
    if (handling === this) {
      // RESP3 lets a subscriber PUBLISH to its own channel; Redis queues the message before the
      // PUBLISH reply, so it skips the channel (after whatever is already waiting in it).
      this.messages.drain();
      this.push(frame);
      return;
    }
    this.messages.send(frame);
  }

  /**
   * A published message reaches the subscriber's output buffer, sent after the publisher's whole
   * batch, so many messages become one write.
   */
  private push(frame: Buffer): void {
    if (this.dead || this.closing) return;
    // Redis's `client-output-buffer-limit pubsub`: a subscriber that does not read its
    // messages would otherwise make the server hold them all. Disconnect it instead.
    const pending = this.socket.writableLength + this.out.size + frame.length;
    const reached = this.limitState.check(pending, this.shared.pubsubLimits, this.shared.clock);
    if (reached !== undefined) {
      this.cutSubscriber(reached, pending - frame.length);
      return;
    }
    this.out.pushFrame(frame);
    this.requestFlush();
  }

  /**
   * The server's once-a-second check of a subscriber's output (Redis's clientsCron does the
   * same): one over the soft limit for too long is cut even when no more messages come.
   * Returns whether it closed.
   */
  checkOutputLimit(): boolean {
    if (this.dead || this.closing || this.channels.size === 0) return false;
    const pending = this.socket.writableLength + this.out.size;
    const reached = this.limitState.check(pending, this.shared.pubsubLimits, this.shared.clock);
    if (reached === undefined) return false;
    this.cutSubscriber(reached, pending);
    return true;
  }

  private cutSubscriber(reached: LimitReached, pending: number): void {
    const limits = this.shared.pubsubLimits;
    warnEvent(
      T_CONN,
      "subscriber output buffer limit reached, closing connection",
      {
        peer: this.peer,
        pending,
        limit: reached === "hard" ? limits.hard : limits.soft,
        kind: reached,
        soft_seconds: reached === "soft" ? limits.softSeconds : undefined,
      },
      this.span,
    );
    this.out.discard();
    this.socket.destroy();
    this.onClose();
  }

  private flush(): void {
    if (this.dead || this.socket.destroyed) {
      this.out.discard();
      return;
    }
    if (this.tracksIdle && this.out.size > 0) this.lastInteraction = this.shared.clock.now();
    this.out.flush(this.socket);
  }

  /**
   * Graceful shutdown of this connection: replies to everything already received are in the
   * output (commands run as soon as they are read), so send them and close our side.
   * Returns when the socket is fully closed.
   */
  shutdown(): void {
    if (this.yielded) this.finishWhenDone = true;
    else this.finish();
  }

  /**
   * Sends what is pending, then closes our side (FIN). Used after QUIT, a protocol error, the
   * client's own FIN, and at shutdown.
   */
  private finish(): void {
    if (this.dead || this.socket.destroyed || this.socket.writableEnded) return;
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
    this.messages.stop();
    this.out.discard();
    debugEvent(T_CONN, "connection closed", { peer: this.peer }, this.span);
    this.span.close();
    this.onClosed(this);
  }
}
