// The aggregator: drains the layer's queue on a timer, keeps every live and retained entity,
// and turns them into Updates: a full snapshot for a new watcher, then one delta per publish.
import {
  AsyncOp as AsyncOpCodec,
  AsyncOpStats as AsyncOpStatsCodec,
  PollOp as PollOpCodec,
  Resource as ResourceCodec,
  ResourceStats as ResourceStatsCodec,
  type TaskDetails,
} from "@periscope/console-api";
import type { Clock } from "./clock.ts";
import { type AsyncOpEntity, type Entity, idKey, type ResourceEntity } from "./entities.ts";
import { FrozenTasks } from "./frozen-tasks.ts";
import { IdMap } from "./id-map.ts";
import type { LayerSinks } from "./layer.ts";
import type { MetadataRegistry } from "./metadata.ts";
import type { ProtoBuilder } from "./protos.ts";
import type { BoundedQueue, PollOpItem, QueueItem } from "./queue.ts";
import { encodeTask } from "./task-encoder.ts";
import type { TaskEntity } from "./task-entity.ts";
import { encodeTaskStats } from "./task-stats-encoder.ts";
import { encodeUpdates, type Item, MAX_MESSAGE_BYTES, Section } from "./update-encoder.ts";
import type { EventLoopMonitor, Warnings } from "./warnings.ts";

/** Poll ops kept between publishes at most; more are counted as dropped async-op events. */
const MAX_POLL_OPS = 10_000;
/** Completed tasks encoded as they freeze between two deltas, at most (about 250 bytes each). */
const MAX_FROZEN_ITEMS = 50_000;

export interface AggregatorConfig {
  queue: BoundedQueue;
  metas: MetadataRegistry;
  clock: Clock;
  protos: ProtoBuilder;
  retentionMs: number;
  /** Completed tasks kept at most, and closed resources and async ops (the oldest go first). */
  maxRetained?: number;
  /** Estimated bytes the retained completed tasks may hold (default: no budget). */
  retainBytes?: number;
  maxMessageBytes?: number;
}

export class Aggregator implements LayerSinks {
  /** Live tasks (a completed task moves to `frozen` as soon as the aggregator holds it). */
  readonly tasks = new IdMap<TaskEntity>();
  /** Completed tasks within retention, in compact form; the newest wait for the next delta. */
  readonly frozen = new FrozenTasks();
  readonly resources = new Map<number | string, ResourceEntity>();
  readonly asyncOps = new Map<number | string, AsyncOpEntity>();
  readonly #cfg: AggregatorConfig;
  #dirty: Entity[] = [];
  /**
   * Dirty tasks by id key, not by reference: a task that completes before the next publish is
   * frozen at once, and this list must not keep its object alive until then.
   */
  #dirtyTasks: bigint[] = [];
  /** Closed entities in closing order, for retention; `#droppedHead` is the next to expire. */
  #dropped: Entity[] = [];
  #droppedHead = 0;
  /**
   * Tasks completed since the last delta, encoded as they froze while someone consumes deltas:
   * the delta sends these rather than rebuilding each task from its frozen row. Used only when
   * it holds every row frozen since (`#frozenSince`); else the delta reads the rows back.
   */
  #frozenItems: Item[] = [];
  #frozenSince = 0;
  #pollOps: PollOpItem[] = [];
  #droppedPollOps = 0;
  #warnings: Warnings | undefined;
  #eventLoop: EventLoopMonitor | undefined;
  /** Whether anyone (a watcher or the recorder) consumes deltas; without one, dirt is discarded. */
  hasConsumers: () => boolean = () => false;

  constructor(cfg: AggregatorConfig) {
    this.#cfg = cfg;
  }

  get retentionMs(): number {
    return this.#cfg.retentionMs;
  }

  attachWarnings(w: Warnings): void {
    this.#warnings = w;
    this.#insert(w.resource);
  }

  attachEventLoop(m: EventLoopMonitor): void {
    this.#eventLoop = m;
    this.#insert(m.resource);
  }

  // ---- LayerSinks (called from the layer, on the hot path) ----

  markDirty(e: Entity): void {
    if (e.kind === "task") this.#dirtyTasks.push(e.id);
    else this.#dirty.push(e);
  }
  markDropped(e: Entity): void {
    if (e.kind !== "task") {
      this.#dropped.push(e);
      return;
    }
    // A completed task never changes again: into compact storage now (if the aggregator already
    // holds it; else when the queue is drained), so a burst of short tasks is not kept as objects
    // until the next publish. The frozen store remembers it still has to be sent.
    if (this.tasks.get(e.id) === e) {
      this.tasks.delete(e.id);
      this.#freeze(e, e.unsent);
    }
  }
  longPoll(task: TaskEntity, ms: number): void {
    const w = this.#warnings;
    if (w === undefined) return;
    w.longPoll(task, ms);
    // Each long poll also goes out as a poll op on the warnings resource (tokio-console ignores
    // poll ops), so a console can list them: name "long_poll <ms>ms <file:line:col>".
    if (this.hasConsumers() && this.#pollOps.length < MAX_POLL_OPS) {
      this.#pollOps.push({
        kind: "pollOp",
        metaId: w.resource.metaId,
        resourceId: w.resource.id,
        asyncOpId: undefined,
        taskId: task.id,
        name: `long_poll ${ms.toFixed(1)}ms ${w.where(task)}`.trimEnd(),
        isReady: true,
      });
    }
  }

  // ---- draining ----

  /** Moves everything queued into the entity maps. Cheap; also run when the queue is half full. */
  drain(): void {
    this.#cfg.queue.drain((item) => this.#take(item));
  }

  /**
   * Drains while every watcher is paused: the deltas wait, so the tasks encoded as they froze are
   * let go (the delta after resuming reads the rows back) and no more are encoded until then.
   */
  drainPaused(): void {
    this.drain();
    this.#frozenItems = [];
    // Marks the batch incomplete: #freeze encodes no more and the next delta reads the rows.
    this.#frozenSince++;
  }

  #take(item: QueueItem): void {
    if (item.kind === "pollOp") {
      if (!this.hasConsumers()) return;
      if (this.#pollOps.length >= MAX_POLL_OPS) this.#droppedPollOps++;
      else this.#pollOps.push(item);
      return;
    }
    this.#insert(item);
  }

  #insert(e: Entity): void {
    const k = idKey(e.id);
    if (e.kind === "task") {
      // Completed while queued: straight to compact storage, announced in the next delta.
      if (!Number.isNaN(e.droppedAt)) this.#freeze(e, true);
      else {
        this.tasks.set(e.id, e);
        this.#dirtyTasks.push(e.id);
      }
      return;
    }
    if (e.kind === "resource") this.resources.set(k, e);
    else this.asyncOps.set(k, e);
    // New entities start dirty; markDirty only fires on a clean -> dirty change, so list it here.
    this.#dirty.push(e);
  }

  /** Into compact storage; encoded first for the next delta while someone consumes deltas. */
  #freeze(e: TaskEntity, unsent: boolean): void {
    if (
      this.#frozenItems.length === this.#frozenSince &&
      this.#frozenSince < MAX_FROZEN_ITEMS &&
      this.hasConsumers()
    )
      // Completed, its stats final: encoded now or at the delta, the bytes are the same.
      this.#frozenItems.push(this.#item(e, unsent, e.droppedAt));
    this.#frozenSince++;
    this.frozen.add(e, unsent);
  }

  /** Refreshes sampled data (event loop) before a publish. */
  sample(): void {
    this.#eventLoop?.sample();
  }

  // ---- building updates ----

  /** Every metadata and every live and retained entity, as one or more Updates. */
  snapshot(): Buffer[] {
    return [...this.snapshotStream(this.#cfg.maxMessageBytes ?? MAX_MESSAGE_BYTES)];
  }

  /**
   * The snapshot as a lazy sequence of parts of about `partBytes`, so a server can send one part
   * per event-loop turn instead of stalling the program while a large state is encoded. The
   * first part carries all metadata; all parts share one `now`.
   */
  *snapshotStream(partBytes: number): Generator<Buffer, void, undefined> {
    // With nobody consuming deltas yet, what is dirty is in this snapshot: don't announce it twice.
    if (!this.hasConsumers()) this.discardDelta();
    else this.drain();
    const max = this.#cfg.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    const nowMono = this.#cfg.clock.now();
    const now = this.#cfg.protos.ts(nowMono);
    const metadata = [...this.#cfg.metas.all];
    let first = true;
    let items: Item[] = [];
    let size = 0;
    const flush = (): Buffer[] => {
      const out = encodeUpdates(
        {
          now,
          metadata: first ? metadata : undefined,
          items,
          pollOps: [],
          droppedTasks: 0,
          droppedResources: 0,
          droppedAsyncOps: 0,
        },
        max,
      );
      first = false;
      items = [];
      size = 0;
      return out;
    };
    for (const e of this.#everything()) {
      const it = this.#item(e, true, nowMono);
      items.push(it);
      size += (it.created?.length ?? 0) + it.stats.length + 32;
      if (size >= partBytes) yield* flush();
    }
    if (first || items.length > 0) yield* flush();
  }

  /** Resources first: async ops refer to them. Live maps are read as they are when reached. */
  *#everything(): Generator<Entity, void, undefined> {
    yield* this.resources.values();
    yield* this.tasks.values();
    yield* this.frozen.entities();
    yield* this.asyncOps.values();
  }

  /** What changed since the previous delta; clears dirt and drop counters. */
  delta(): Buffer[] {
    this.drain();
    const p = this.#cfg.protos;
    const q = this.#cfg.queue;
    const items: Item[] = [];
    const now = this.#cfg.clock.now();
    const dirty = this.#dirty;
    this.#dirty = [];
    const dirtyTasks = this.#dirtyTasks;
    this.#dirtyTasks = [];
    // Resources first: async ops and poll ops refer to them.
    for (const e of dirty) {
      if (e.kind !== "resource" || !e.dirty) continue;
      items.push(this.#item(e, e.unsent, now));
      e.dirty = false;
      e.unsent = false;
    }
    for (const k of dirtyTasks) {
      const e = this.tasks.get(k);
      if (e === undefined || !e.dirty) continue;
      items.push(this.#item(e, e.unsent, now));
      e.dirty = false;
      e.unsent = false;
    }
    if (this.#frozenItems.length === this.#frozenSince) {
      for (const it of this.#frozenItems) items.push(it);
      this.frozen.discardUnpublished();
    } else
      for (const [e, unsent] of this.frozen.takeUnpublished())
        items.push(this.#item(e, unsent, now));
    this.#frozenItems = [];
    this.#frozenSince = 0;
    for (const e of dirty) {
      if (e.kind !== "asyncOp" || !e.dirty) continue;
      items.push(this.#item(e, e.unsent, now));
      e.dirty = false;
      e.unsent = false;
    }
    const pollOps = this.#pollOps.map((o) =>
      PollOpCodec.encode({
        metadata: { id: o.metaId },
        resourceId: { id: o.resourceId },
        name: o.name,
        taskId: { id: o.taskId },
        asyncOpId: o.asyncOpId === undefined ? undefined : { id: o.asyncOpId },
        isReady: o.isReady,
      }).finish(),
    );
    this.#pollOps = [];
    const newMeta = this.#cfg.metas.takePending();
    const out = encodeUpdates(
      {
        now: p.ts(now),
        metadata: newMeta.length > 0 ? newMeta : undefined,
        items,
        pollOps,
        droppedTasks: q.droppedTasks,
        droppedResources: q.droppedResources,
        droppedAsyncOps: q.droppedAsyncOps + this.#droppedPollOps,
      },
      this.#cfg.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    );
    q.droppedTasks = 0;
    q.droppedResources = 0;
    q.droppedAsyncOps = 0;
    this.#droppedPollOps = 0;
    return out;
  }

  /** With nobody consuming deltas, forget what changed: a new watcher starts from a snapshot. */
  discardDelta(): void {
    this.drain();
    for (const e of this.#dirty) {
      e.dirty = false;
      e.unsent = false;
    }
    for (const k of this.#dirtyTasks) {
      const e = this.tasks.get(k);
      if (e === undefined) continue;
      e.dirty = false;
      e.unsent = false;
    }
    this.frozen.discardUnpublished();
    this.#frozenItems = [];
    this.#frozenSince = 0;
    this.#dirty = [];
    this.#dirtyTasks = [];
    this.#pollOps = [];
    this.#cfg.metas.takePending();
  }

  /** `now`: the publish's monotonic time (the root mid-poll is sent as a poll ending then). */
  #item(e: Entity, created: boolean, now: number): Item {
    const p = this.#cfg.protos;
    if (e.kind === "task") {
      return {
        section: Section.TASK,
        id: e.id,
        created: created ? encodeTask(e) : undefined,
        stats: encodeTaskStats(e, this.#cfg.clock.timeOrigin, now, p),
      };
    }
    if (e.kind === "resource") {
      return {
        section: Section.RESOURCE,
        id: e.id,
        created: created ? ResourceCodec.encode(p.resource(e)).finish() : undefined,
        stats: ResourceStatsCodec.encode(p.resourceStats(e)).finish(),
      };
    }
    return {
      section: Section.ASYNC_OP,
      id: e.id,
      created: created ? AsyncOpCodec.encode(p.asyncOp(e)).finish() : undefined,
      stats: AsyncOpStatsCodec.encode(p.asyncOpStats(e)).finish(),
    };
  }

  taskDetails(id: bigint): TaskDetails | undefined {
    const t = this.tasks.get(id) ?? this.frozen.find(id);
    return t === undefined ? undefined : this.#cfg.protos.taskDetails(t, this.#cfg.clock.now());
  }

  // ---- retention ----

  /**
   * Forgets entities closed longer ago than the retention period. One that changed since the
   * last delta is kept while someone consumes deltas, so its dropped_at is sent first (as upstream).
   */
  expire(): void {
    const now = this.#cfg.clock.now();
    const retention = this.#cfg.retentionMs;
    const consumers = this.hasConsumers();
    const max = this.#cfg.maxRetained ?? Number.POSITIVE_INFINITY;
    this.frozen.expire(now, retention, consumers, this.#cfg.retainBytes, max);
    this.#warnings?.retained(
      this.frozen.bytes,
      this.#cfg.retainBytes,
      this.frozen.droppedForBudget,
    );
    const list = this.#dropped;
    while (this.#droppedHead < list.length) {
      const e = list[this.#droppedHead] as Entity;
      if (now - e.droppedAt <= retention && list.length - this.#droppedHead <= max) break;
      if (e.dirty && consumers) break;
      this.#droppedHead++;
      if (e.kind === "resource") this.resources.delete(idKey(e.id));
      else this.asyncOps.delete(idKey(e.id));
    }
    // Compact once the expired prefix dominates, keeping pushes amortised O(1).
    if (this.#droppedHead > 1024 && this.#droppedHead * 2 > list.length) {
      this.#dropped = list.slice(this.#droppedHead);
      this.#droppedHead = 0;
    }
  }
}
