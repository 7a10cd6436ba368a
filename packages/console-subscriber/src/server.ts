// The Instrument gRPC service over h2c (@grpc/grpc-js). Updates are encoded once and written to
// every watcher; a watcher that stops reading is cut off at a byte cap instead of buffered forever.
import { constants as h2 } from "node:http2";
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import {
  InstrumentService,
  type State,
  State as StateCodec,
  TaskDetails as TaskDetailsCodec,
  Temporality,
} from "@periscope/console-api";
import type { Aggregator } from "./aggregator.ts";

/** Pre-encoded Buffers pass through unchanged: one encode per publish, whatever the client count. */
const SERVICE = {
  ...InstrumentService,
  watchUpdates: { ...InstrumentService.watchUpdates, responseSerialize: (b: Buffer) => b },
  watchTaskDetails: { ...InstrumentService.watchTaskDetails, responseSerialize: (b: Buffer) => b },
  watchState: { ...InstrumentService.watchState, responseSerialize: (b: Buffer) => b },
} as unknown as ServiceDefinition;

type Call = ServerWritableStream<unknown, Buffer>;

/**
 * Snapshot parts are this big, one per event-loop turn, so a large snapshot never stalls the
 * program; and the next part is made only once the client has taken all but one of them, so a
 * snapshot larger than what the client reads meanwhile never piles up in memory (and does not
 * count as the client being too slow for the deltas that follow it).
 */
const SNAPSHOT_PART_BYTES = 512 * 1024;

class Watcher {
  readonly call: Call;
  pendingBytes = 0;
  closed = false;
  /** While its snapshot is being streamed, deltas wait here (counted against the cap). */
  backlog: Buffer[][] | undefined;
  #backlogBytes = 0;
  /** Called once what is written but not yet taken falls to `#drainedAt` bytes or less. */
  #onDrained: (() => void) | undefined;
  #drainedAt = 0;
  readonly #maxPending: number;
  readonly #onDrop: (w: Watcher) => void;

  constructor(call: Call, maxPending: number, onDrop: (w: Watcher) => void) {
    this.call = call;
    this.#maxPending = maxPending;
    this.#onDrop = onDrop;
    const close = (): void => {
      this.closed = true;
    };
    call.on("cancelled", close);
    call.on("close", close);
    call.on("error", close);
  }

  /**
   * Writes, or drops the client when what it has not read exceeds the cap. False once closed.
   * `whole` lets a first snapshot through even when it alone is larger than the cap.
   */
  send(parts: Buffer[], whole = false): boolean {
    if (this.closed) return false;
    if (this.backlog !== undefined && !whole) {
      for (const b of parts) this.#backlogBytes += b.length;
      if (this.#backlogBytes > this.#maxPending) {
        this.drop();
        return false;
      }
      this.backlog.push(parts);
      return true;
    }
    for (const b of parts) {
      if (!whole && this.pendingBytes + b.length > this.#maxPending && this.pendingBytes > 0) {
        this.drop();
        return false;
      }
      this.pendingBytes += b.length;
      try {
        this.call.write(b, () => {
          this.pendingBytes -= b.length;
          const f = this.#onDrained;
          if (f !== undefined && this.pendingBytes <= this.#drainedAt) {
            this.#onDrained = undefined;
            f();
          }
        });
      } catch {
        this.closed = true;
        return false;
      }
    }
    return true;
  }

  /** Runs fn now, or once what the client has not taken falls to `bytes` or less. */
  whenDrained(bytes: number, fn: () => void): void {
    if (this.pendingBytes <= bytes) fn();
    else {
      this.#drainedAt = bytes;
      this.#onDrained = fn;
    }
  }

  /** The snapshot is out: send what changed meanwhile, in order. */
  finishSnapshot(): boolean {
    const backlog = this.backlog ?? [];
    this.backlog = undefined;
    this.#backlogBytes = 0;
    for (const parts of backlog) if (!this.send(parts)) return false;
    return true;
  }

  /** Resets the stream: the client sees CANCELLED and may reconnect; its backlog is released. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.#onDrop(this);
    try {
      // grpc-js has no public reset; reach its HTTP/2 stream when present, else end politely.
      const stream = (
        this.call as unknown as { call?: { stream?: { close?(code: number): void } } }
      ).call?.stream;
      if (typeof stream?.close === "function") stream.close(h2.NGHTTP2_CANCEL);
      else this.call.emit("error", { code: status.RESOURCE_EXHAUSTED, details: "client too slow" });
    } catch {
      // Already gone.
    }
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.call.end();
    } catch {
      // Already gone.
    }
  }
}

export interface ServerOptions {
  /** Bytes written to one client and not yet taken by it before it is dropped. */
  maxPendingBytes: number;
}

export class ConsoleServer {
  readonly #agg: Aggregator;
  readonly #opts: ServerOptions;
  readonly #server: Server;
  readonly #updates = new Set<Watcher>();
  readonly #details = new Map<bigint, Set<Watcher>>();
  readonly #states = new Set<Watcher>();
  temporality: Temporality = Temporality.LIVE;
  /** Clients cut off for not reading. */
  droppedClients = 0;
  #port: number | undefined;

  constructor(agg: Aggregator, opts: ServerOptions) {
    this.#agg = agg;
    this.#opts = opts;
    this.#server = new Server({ "grpc.max_send_message_length": 8 * 1024 * 1024 });
    this.#server.addService(SERVICE, {
      watchUpdates: (call: Call) => this.#watchUpdates(call),
      watchTaskDetails: (call: Call) => this.#watchTaskDetails(call),
      watchState: (call: Call) => this.#watchState(call),
      pause: (_c: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => {
        this.temporality = Temporality.PAUSED;
        this.publishState();
        cb(null, {});
      },
      resume: (_c: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => {
        this.temporality = Temporality.LIVE;
        this.publishState();
        cb(null, {});
      },
    });
  }

  get port(): number | undefined {
    return this.#port;
  }
  get watcherCount(): number {
    return this.#updates.size;
  }
  get detailWatcherCount(): number {
    let n = 0;
    for (const s of this.#details.values()) n += s.size;
    return n;
  }

  /** Binds host:port (port 0 picks one) and never keeps the process alive. */
  listen(host: string, port: number): Promise<number> {
    const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) => {
        if (err) {
          reject(err);
          return;
        }
        this.#port = bound;
        unrefServer(this.#server);
        resolve(bound);
      });
    });
  }

  close(): void {
    for (const w of this.#all()) w.end();
    this.#updates.clear();
    this.#details.clear();
    this.#states.clear();
    this.#server.forceShutdown();
  }

  *#all(): Iterable<Watcher> {
    yield* this.#updates;
    yield* this.#states;
    for (const s of this.#details.values()) yield* s;
  }

  #watcher(call: Call, remove: (w: Watcher) => void): Watcher {
    const w = new Watcher(call, this.#opts.maxPendingBytes, (x) => {
      this.droppedClients++;
      remove(x);
    });
    call.on("cancelled", () => remove(w));
    call.on("close", () => remove(w));
    return w;
  }

  #watchUpdates(call: Call): void {
    const w = this.#watcher(call, (x) => this.#updates.delete(x));
    const parts = this.#agg.snapshotStream(SNAPSHOT_PART_BYTES);
    // The first step decides, before this watcher counts as a consumer, whether pending changes
    // can be forgotten (they are all in the snapshot).
    let step = parts.next();
    w.backlog = [];
    this.#updates.add(w);
    const pump = (): void => {
      try {
        while (!step.done) {
          if (w.closed) return;
          const sent = w.send([step.value], true);
          step = parts.next();
          if (!sent) return;
          if (!step.done) {
            w.whenDrained(SNAPSHOT_PART_BYTES, () => setImmediate(pump).unref());
            return;
          }
        }
        // The changes made meanwhile follow once the client has taken the whole snapshot.
        w.whenDrained(0, () => {
          if (!w.closed && !w.finishSnapshot()) this.#updates.delete(w);
        });
      } catch {
        w.drop();
      }
    };
    pump();
  }

  #watchTaskDetails(call: Call): void {
    const req = call.request as { id?: { id?: bigint } } | undefined;
    const id = req?.id?.id;
    if (id === undefined || id === 0n) {
      call.emit("error", { code: status.INVALID_ARGUMENT, details: "task_id cannot be 0" });
      return;
    }
    const details = this.#agg.taskDetails(id);
    if (details === undefined) {
      call.emit("error", { code: status.NOT_FOUND, details: "task not found" });
      return;
    }
    let set = this.#details.get(id);
    const w = this.#watcher(call, (x) => {
      const s = this.#details.get(id);
      s?.delete(x);
      if (s?.size === 0) this.#details.delete(id);
    });
    if (!w.send([Buffer.from(TaskDetailsCodec.encode(details).finish())])) return;
    if (set === undefined) {
      set = new Set();
      this.#details.set(id, set);
    }
    set.add(w);
  }

  #watchState(call: Call): void {
    const w = this.#watcher(call, (x) => this.#states.delete(x));
    if (w.send([this.#stateBytes()])) this.#states.add(w);
  }

  #stateBytes(): Buffer {
    const s: State = { temporality: this.temporality };
    return Buffer.from(StateCodec.encode(s).finish());
  }

  publishUpdates(parts: Buffer[]): void {
    for (const w of this.#updates) if (!w.send(parts)) this.#updates.delete(w);
  }

  publishDetails(): void {
    for (const [id, set] of this.#details) {
      const d = this.#agg.taskDetails(id);
      if (d === undefined) {
        // The task left retention: its details stream is complete.
        for (const w of set) w.end();
        this.#details.delete(id);
        continue;
      }
      const bytes = Buffer.from(TaskDetailsCodec.encode(d).finish());
      for (const w of set) if (!w.send([bytes])) set.delete(w);
      if (set.size === 0) this.#details.delete(id);
    }
  }

  publishState(): void {
    if (this.#states.size === 0) return;
    const b = this.#stateBytes();
    for (const w of this.#states) if (!w.send([b])) this.#states.delete(w);
  }
}

/** grpc-js exposes no unref; its listening servers and sessions are reached where they exist. */
function unrefServer(server: Server): void {
  try {
    const servers = (server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers;
    if (!(servers instanceof Map)) return;
    for (const s of servers.keys()) {
      const net = s as {
        unref?: () => void;
        on?: (ev: string, fn: (session: { unref?: () => void }) => void) => void;
        __periscopeUnref?: boolean;
      };
      if (net.__periscopeUnref) continue;
      net.__periscopeUnref = true;
      net.unref?.();
      net.on?.("session", (session) => session.unref?.());
    }
  } catch {
    // Best effort: at worst the server keeps the process alive until close().
  }
}
