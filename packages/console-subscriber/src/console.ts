// Wires the parts together: layer -> queue -> aggregator -> (gRPC watchers, recorder), driven by
// one unref'd timer. `init()` is the one-liner; `builder()` the configurable route.
import type { TaskDetails } from "@periscope/console-api";
import type { Filter } from "@periscope/tracing-subscriber";
import { registry } from "@periscope/tracing-subscriber";
import { Aggregator } from "./aggregator.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ConsoleLayer } from "./layer.ts";
import { MetadataRegistry } from "./metadata.ts";
import { type ConsoleOptions, DEFAULTS, optionsFromEnv, parseBind, validate } from "./options.ts";
import { ProtoBuilder } from "./protos.ts";
import { BoundedQueue } from "./queue.ts";
import { Recorder } from "./recorder.ts";
import { ConsoleServer } from "./server.ts";
import { EventLoopMonitor, Warnings } from "./warnings.ts";

export interface ConsoleStats {
  tasks: number;
  resources: number;
  asyncOps: number;
  queued: number;
  watchers: number;
  droppedClients: number;
  longPolls: number;
  /** Bytes of the rows that keep completed tasks for their retention (columns and blobs). */
  retainedTaskBytes: number;
  /** Estimated bytes of everything retained completed tasks hold: what the budget counts. */
  retainedBytes: number;
  /** Completed tasks forgotten before their retention ended, to stay within `retainBytes`. */
  droppedForBudget: number;
}

/** A running console: the layer to add to a registry, the server, the recorder. */
export class ConsoleSubscriber {
  readonly layer: ConsoleLayer;
  readonly filter: Filter;
  readonly options: Readonly<ConsoleOptions>;
  /** Resolves with the bound port once serving (undefined when not serving); rejects on bind failure. */
  readonly ready: Promise<number | undefined>;
  readonly #agg: Aggregator;
  readonly #queue: BoundedQueue;
  readonly #server: ConsoleServer | undefined;
  readonly #recorder: Recorder | undefined;
  readonly #warnings: Warnings;
  readonly #eventLoop: EventLoopMonitor | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #listeners = new Set<(parts: Buffer[]) => void>();

  constructor(options: ConsoleOptions) {
    validate(options);
    this.options = Object.freeze({ ...options });
    const clock: Clock = options.clock ?? systemClock;
    const queue = new BoundedQueue(options.bufferCapacity);
    this.#queue = queue;
    const metas = new MetadataRegistry();
    const protos = new ProtoBuilder(
      clock,
      options.pollDurationMaxNs,
      options.scheduledDurationMaxNs,
    );
    const agg = new Aggregator({
      queue,
      metas,
      clock,
      protos,
      retentionMs: options.retentionMs,
      maxRetained: options.maxRetained,
      retainBytes: options.retainBytes,
    });
    this.#agg = agg;
    this.#warnings = new Warnings(metas, agg, options.longPollThresholdMs, clock.now());
    agg.attachWarnings(this.#warnings);
    if (options.eventLoopMetrics) {
      this.#eventLoop = new EventLoopMonitor(metas, agg, clock.now());
      agg.attachEventLoop(this.#eventLoop);
    }
    this.layer = new ConsoleLayer({
      queue,
      metas,
      clock,
      sinks: agg,
      pollDurationMaxNs: options.pollDurationMaxNs,
      scheduledDurationMaxNs: options.scheduledDurationMaxNs,
      longPollThresholdMs: options.longPollThresholdMs,
    });
    this.filter = this.layer.filter;
    // A burst: publish early, in a microtask, so nothing is dropped, short-lived entities die
    // young, and a program that never yields to timers (a loop of microtasks) is still aggregated.
    queue.onFlush = () => queueMicrotask(() => this.tick());

    if (options.recordPath !== undefined) this.#recorder = new Recorder(options.recordPath);
    if (options.serve) {
      const server = new ConsoleServer(agg, { maxPendingBytes: options.clientMaxPendingBytes });
      this.#server = server;
      const { host, port } = parseBind(options.bind) as { host: string; port: number };
      this.ready = server.listen(host, port);
      // A bind failure must not crash the program: it is reported and the console stays off.
      this.ready.catch((e: Error) =>
        process.emitWarning(
          `the console could not listen on ${options.bind}: ${e.message}; set PERISCOPE_CONSOLE_BIND to a free address`,
          { code: "PERISCOPE_CONSOLE_BIND_FAILED" },
        ),
      );
    } else this.ready = Promise.resolve(undefined);
    agg.hasConsumers = () =>
      (this.#server !== undefined && this.#server.watcherCount > 0) ||
      (this.#recorder?.active ?? false) ||
      this.#listeners.size > 0;
    if (this.#recorder) this.#recorder.record(agg.snapshot());
    if (options.timer) {
      this.#timer = setInterval(() => this.tick(), options.publishIntervalMs);
      this.#timer.unref();
      // Our own work, not the program's: @periscope/runtime leaves it out of its root task.
      (this.#timer as unknown as Record<symbol, boolean>)[Symbol.for("periscope.internal")] = true;
    }
  }

  /** The port being served, once bound. */
  get port(): number | undefined {
    return this.#server?.port;
  }

  get paused(): boolean {
    return this.#server?.temporality === 1;
  }

  /** One publish: what the timer does every interval. Never throws. */
  tick(): void {
    if (this.#closed) return;
    try {
      const agg = this.#agg;
      agg.sample();
      const consumers = agg.hasConsumers();
      // Paused with nobody left to resume for: forget changes rather than hoard them.
      if (this.paused && consumers) agg.drainPaused();
      else if (consumers) {
        const parts = agg.delta();
        this.#server?.publishUpdates(parts);
        this.#recorder?.record(parts);
        for (const l of this.#listeners) l(parts);
      } else agg.discardDelta();
      if (!this.paused) this.#server?.publishDetails();
      this.#server?.publishState();
      agg.expire();
    } catch (e) {
      process.emitWarning(`console publish failed: ${(e as Error).message}`, {
        code: "PERISCOPE_CONSOLE_INTERNAL",
      });
    }
  }

  /**
   * In-process watcher: gets the snapshot now, then each published delta, as encoded Update
   * parts (decode with console-api's Update.decode). Returns the unsubscribe function.
   */
  onUpdate(listener: (parts: Buffer[]) => void): () => void {
    listener(this.#agg.snapshot());
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** TaskDetails (with histograms) for a task span id, or undefined when unknown. */
  taskDetails(id: bigint): TaskDetails | undefined {
    return this.#agg.taskDetails(id);
  }

  stats(): ConsoleStats {
    return {
      tasks: this.#agg.tasks.size + this.#agg.frozen.size,
      resources: this.#agg.resources.size,
      asyncOps: this.#agg.asyncOps.size,
      queued: this.#queue.size,
      watchers: this.#server?.watcherCount ?? 0,
      droppedClients: this.#server?.droppedClients ?? 0,
      longPolls: this.#warnings.count,
      retainedTaskBytes: this.#agg.frozen.columnBytes,
      retainedBytes: this.#agg.frozen.bytes,
      droppedForBudget: this.#agg.frozen.droppedForBudget,
    };
  }

  /** Stops the timer, the server and the recorder (after recording a last delta). */
  close(): void {
    if (this.#closed) return;
    this.tick();
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#eventLoop?.stop();
    this.#server?.close();
    this.#recorder?.close();
  }
}

/** Builds a ConsoleSubscriber; each setter returns the builder. */
export class Builder {
  #o: ConsoleOptions = { ...DEFAULTS, clock: undefined };

  /** Applies PERISCOPE_CONSOLE_* variables (later setters still win). */
  withDefaultEnv(env: NodeJS.ProcessEnv = process.env): this {
    this.#o = { ...this.#o, ...optionsFromEnv(env) };
    return this;
  }
  with(options: Partial<ConsoleOptions>): this {
    this.#o = { ...this.#o, ...options };
    return this;
  }
  bind(addr: string): this {
    return this.with({ bind: addr });
  }
  retention(ms: number): this {
    return this.with({ retentionMs: ms });
  }
  /** Keep at most n completed tasks (and n closed resources and async ops), oldest out first. */
  maxRetained(n: number): this {
    return this.with({ maxRetained: n });
  }
  /** Estimated bytes retained completed tasks may hold (Infinity: none); at least 1 MiB. */
  retainBytes(n: number): this {
    return this.with({ retainBytes: n });
  }
  publishInterval(ms: number): this {
    return this.with({ publishIntervalMs: ms });
  }
  recordPath(path: string): this {
    return this.with({ recordPath: path });
  }
  bufferCapacity(n: number): this {
    return this.with({ bufferCapacity: n });
  }
  longPollThreshold(ms: number): this {
    return this.with({ longPollThresholdMs: ms });
  }
  /** Starts the console (server, timer, recorder) without installing any subscriber. */
  spawn(): ConsoleSubscriber {
    return new ConsoleSubscriber(this.#o);
  }
  /** Starts the console and installs a registry with it as the global subscriber. */
  init(): ConsoleSubscriber {
    const c = this.spawn();
    registry().with(c.layer, c.filter).init();
    return c;
  }
}

export function builder(): Builder {
  return new Builder();
}

/** The one-liner: env-configured console on 127.0.0.1:6669, installed as the global subscriber. */
export function init(options: Partial<ConsoleOptions> = {}): ConsoleSubscriber {
  return builder().withDefaultEnv().with(options).init();
}
