// A mini-redis client: connect, then ping/get/set/setExpires/publish, or subscribe and iterate
// over messages. Requests may overlap: replies come back in request order, so each request just
// waits for its turn in a FIFO of pending replies.
import net from "node:net";
import { decodeFrame, encodeCommand, type Frame, type FrameError, INCOMPLETE } from "./frame.ts";
import { clientCommandSpan } from "./trace.ts";

/** A reply that is an error frame (`-ERR ...`), or a reply of an unexpected type. */
export class RedisError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    // Redis errors start with an upper-case code word (ERR, WRONGTYPE, NOPROTO...).
    this.code = /^[A-Z]+/.exec(message)?.[0] ?? "ERR";
  }
}

/** A message received on a subscribed channel. */
export interface Message {
  channel: string;
  content: Buffer;
}

type Pending = { resolve: (f: Frame) => void; reject: (e: Error) => void };

/** The socket, the read buffer and the queue of requests waiting for replies. */
export class Client {
  protected readonly socket: net.Socket;
  /** The server's address, for the request spans. */
  private readonly peer: string;
  private buf: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private failure: Error | undefined;
  /** Set in subscribe mode: pushed frames go here instead of to `pending`. */
  private onPush: ((f: Frame) => void) | undefined;
  private onEnd: ((e: Error | undefined) => void) | undefined;

  protected constructor(socket: net.Socket) {
    this.socket = socket;
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  /** Opens a connection to a server at `host:port` (default 127.0.0.1:6379). */
  static connect(port = 6379, host = "127.0.0.1"): Promise<Client> {
    return openSocket(port, host).then((s) => new Client(s));
  }

  /** PING [message]: resolves to "PONG" or the message echoed. */
  async ping(message?: string | Uint8Array): Promise<Buffer> {
    const f = await this.request(message === undefined ? ["PING"] : ["PING", message]);
    if (f.type === "simple") return Buffer.from(f.value);
    return expectBulk(f) ?? Buffer.alloc(0);
  }

  /** GET key: the value, or null when the key does not exist. */
  async get(key: string): Promise<Buffer | null> {
    return expectBulk(await this.request(["GET", key], key));
  }

  /** SET key value */
  async set(key: string, value: string | Uint8Array): Promise<void> {
    expectOk(await this.request(["SET", key, value], key));
  }

  /** SET key value PX ms: the key expires after `ms` milliseconds. */
  async setExpires(key: string, value: string | Uint8Array, ms: number): Promise<void> {
    expectOk(await this.request(["SET", key, value, "PX", String(ms)], key));
  }

  /** PUBLISH channel message: resolves to the number of subscribers that received it. */
  async publish(channel: string, message: string | Uint8Array): Promise<number> {
    const f = await this.request(["PUBLISH", channel, message], channel);
    if (f.type !== "integer") throw unexpected(f);
    return f.value;
  }

  /**
   * SUBSCRIBE channel...: turns this connection into a subscriber (as in tokio's mini-redis,
   * the client is consumed: use the returned Subscriber from now on).
   */
  async subscribe(channels: string[]): Promise<Subscriber> {
    const sub = new Subscriber(this);
    await sub.subscribe(channels);
    return sub;
  }

  /** Sends any command and resolves to its raw reply frame (error frames reject). */
  async command(parts: ReadonlyArray<string | Uint8Array>): Promise<Frame> {
    return this.request(parts);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.end();
    });
  }

  /** Queues one request; its reply resolves the returned promise, in order. */
  protected request(parts: ReadonlyArray<string | Uint8Array>, key?: string): Promise<Frame> {
    if (this.failure) return Promise.reject(this.failure);
    const name = parts[0];
    const span = typeof name === "string" ? clientCommandSpan(name, key, this.peer) : undefined;
    return new Promise<Frame>((resolve, reject) => {
      this.pending.push({
        resolve: (f) => {
          span?.close();
          if (f.type === "error") reject(new RedisError(f.value));
          else resolve(f);
        },
        reject: (e) => {
          span?.close();
          reject(e);
        },
      });
      this.write(encodeCommand(parts));
    });
  }

  /** Sends bytes; BufferedClient overrides this to batch them. */
  protected write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Called by Subscriber: route replies and pushed messages through `onPush`. */
  setPushHandler(onPush: (f: Frame) => void, onEnd: (e: Error | undefined) => void): void {
    this.onPush = onPush;
    this.onEnd = onEnd;
  }

  /** Used by Subscriber to send (UN)SUBSCRIBE without expecting a one-to-one reply. */
  sendRaw(parts: ReadonlyArray<string | Uint8Array>): void {
    this.write(encodeCommand(parts));
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    try {
      while (pos < this.buf.length) {
        const r = decodeFrame(this.buf, pos, this.buf.length);
        if (r === INCOMPLETE) break;
        pos = r.next;
        if (this.onPush) this.onPush(r.frame);
        else this.pending.shift()?.resolve(r.frame);
      }
    } catch (err) {
      this.fail(err as FrameError);
      this.socket.destroy();
      return;
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.splice(0)) p.reject(err);
    this.onEnd?.(err.message === "connection closed by the server" ? undefined : err);
  }
}

/** A connection in subscribe mode: iterate over it to receive messages. */
export class Subscriber implements AsyncIterable<Message> {
  private readonly client: Client;
  private readonly queue: Message[] = [];
  private waiting: { resolve: (m: Message | null) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private error: Error | undefined;
  /** Channels we are subscribed to, as confirmed by the server. */
  readonly channels = new Set<string>();
  private confirmations: Array<() => void> = [];

  constructor(client: Client) {
    this.client = client;
    client.setPushHandler(
      (f) => this.onFrame(f),
      (e) => {
        this.ended = true;
        this.error = e;
        const w = this.waiting;
        this.waiting = undefined;
        if (w && e) w.reject(e);
        else w?.resolve(null);
      },
    );
  }

  /** Subscribes to more channels; resolves once the server confirmed all of them. */
  subscribe(channels: string[]): Promise<void> {
    if (channels.length === 0) return Promise.resolve();
    const done = Promise.all(
      channels.map(() => new Promise<void>((r) => this.confirmations.push(r))),
    );
    this.client.sendRaw(["SUBSCRIBE", ...channels]);
    return done.then(() => {});
  }

  /** Unsubscribes from `channels` (all when empty). */
  unsubscribe(channels: string[] = []): void {
    this.client.sendRaw(["UNSUBSCRIBE", ...channels]);
  }

  /** The next message, or null once the connection is closed. */
  nextMessage(): Promise<Message | null> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    while (true) {
      const m = await this.nextMessage();
      if (m === null) return;
      yield m;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private onFrame(f: Frame): void {
    if (f.type !== "array" || f.value.length < 3) return;
    const [kind, channel, payload] = f.value;
    if (kind?.type !== "bulk" || channel?.type !== "bulk") return;
    const k = kind.value.toString("latin1");
    if (k === "message" && payload?.type === "bulk") {
      const msg = { channel: channel.value.toString("utf8"), content: payload.value };
      if (this.waiting) {
        this.waiting.resolve(msg);
        this.waiting = undefined;
      } else {
        this.queue.push(msg);
      }
    } else if (k === "subscribe") {
      this.channels.add(channel.value.toString("utf8"));
      this.confirmations.shift()?.();
    } else if (k === "unsubscribe") {
      this.channels.delete(channel.value.toString("utf8"));
    }
  }
}

export function openSocket(port: number, host: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

function expectBulk(f: Frame): Buffer | null {
  if (f.type === "null") return null;
  if (f.type !== "bulk") throw unexpected(f);
  return f.value;
}

function expectOk(f: Frame): void {
  if (f.type !== "simple" || f.value !== "OK") throw unexpected(f);
}

function unexpected(f: Frame): RedisError {
  return new RedisError(`ERR unexpected reply from the server: ${JSON.stringify(f).slice(0, 200)}`);
}
