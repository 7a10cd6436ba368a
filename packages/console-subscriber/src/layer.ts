// The console layer: recognises tokio's runtime.* spans and events, queues new entities into the
// bounded queue and updates poll/wake stats in place. Runs on the program's hot path: no throws, no waits.
import type { FieldValue, Metadata } from "@periscope/tracing";
import { Interest, LevelFilter } from "@periscope/tracing";
import type { Context, Filter, Layer } from "@periscope/tracing-subscriber";
import { type Clock, systemClock } from "./clock.ts";
import { classify, Role } from "./conventions.ts";
import {
  AsyncOpEntity,
  applyAttr,
  type DirtySink,
  type Entity,
  type Loc,
  type PollCounters,
  ResourceEntity,
  recordPollDuration,
  recordScheduledDuration,
} from "./entities.ts";
import { asU64, cap } from "./fields.ts";
import { IdMap } from "./id-map.ts";
import type { MetadataRegistry } from "./metadata.ts";
import type { BoundedQueue } from "./queue.ts";
import { TaskEntity, TaskSlots } from "./task-entity.ts";

/** The root task's long polls this soon after the layer starts are start-up, not warnings. */
export const STARTUP_MS = 3000;

/** How far up the parent chain to look for a resource or async op. */
const MAX_DEPTH = 16;

interface Known {
  readonly role: Role;
  readonly metaId: bigint;
}

export interface LayerSinks extends DirtySink {
  /** An entity's span closed: start its retention clock. */
  markDropped(e: Entity): void;
  /** A task finished a poll that took at least the long-poll threshold. */
  longPoll(task: TaskEntity, ms: number, at: number): void;
}

export interface LayerConfig {
  queue: BoundedQueue;
  metas: MetadataRegistry;
  clock: Clock;
  sinks: LayerSinks;
  pollDurationMaxNs: number;
  scheduledDurationMaxNs: number;
  longPollThresholdMs: number;
}

export class ConsoleLayer implements Layer {
  /** Use as the per-layer filter: `registry().with(layer, layer.filter)`. */
  readonly filter: Filter;
  readonly #cfg: LayerConfig;
  /** What each callsite is to the console, and its metadata id (one lookup per event). */
  readonly #known = new Map<Metadata, Known>();
  /**
   * Entities by span id. Our own map rather than span extensions: a Map per span would cost more
   * than the entity itself for a million short tasks. Span ids are never reused by the registry.
   */
  readonly #byId = new IdMap<Entity>();
  /** Entered console spans, innermost last (one thread: a single stack suffices). */
  readonly #stack: Entity[] = [];
  /** The doubles of live tasks; a task gives its slot back when it is frozen (or dropped). */
  readonly #slots = new TaskSlots();
  readonly #startedAt: number;
  /** Whether the clock is the performance clock, on whose scale callers pass `at`. */
  readonly #hostClock: boolean;
  #lastId: bigint | undefined;
  #lastE: Entity | undefined;

  constructor(cfg: LayerConfig) {
    this.#cfg = cfg;
    this.#startedAt = cfg.clock.now();
    this.#hostClock = cfg.clock === systemClock;
    this.filter = {
      callsiteEnabled: (meta) =>
        this.#role(meta) === Role.NONE ? Interest.NEVER : Interest.ALWAYS,
      enabled: (meta) => this.#role(meta) !== Role.NONE,
      maxLevelHint: () => LevelFilter.TRACE,
    };
  }

  #role(meta: Metadata): Role {
    return this.#knownOf(meta).role;
  }

  #knownOf(meta: Metadata): Known {
    let k = this.#known.get(meta);
    if (k === undefined) {
      const role = classify(meta);
      k = { role, metaId: role === Role.NONE ? 0n : this.#cfg.metas.idFor(meta) };
      this.#known.set(meta, k);
    }
    return k;
  }

  #entity(id: bigint | undefined): Entity | undefined {
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Nearest entity of a kind: up the parent chain from `start`, else the innermost entered. */
  #nearest<K extends Entity["kind"]>(
    kind: K,
    start: bigint | undefined,
    ctx: Context,
  ): Extract<Entity, { kind: K }> | undefined {
    let id = start;
    for (let d = 0; id !== undefined && d < MAX_DEPTH; d++) {
      const e = this.#byId.get(id);
      if (e?.kind === kind) return e as Extract<Entity, { kind: K }>;
      id = ctx.span(id)?.parentId;
    }
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const e = this.#stack[i] as Entity;
      if (e.kind === kind) return e as Extract<Entity, { kind: K }>;
    }
    return undefined;
  }

  #currentTask(ctx: Context): TaskEntity | undefined {
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const e = this.#stack[i] as Entity;
      if (e.kind === "task") return e;
    }
    const cur = ctx.current();
    return cur === undefined ? undefined : this.#nearest("task", cur.id, ctx);
  }

  #dirty(e: Entity): void {
    if (!e.dirty) {
      e.dirty = true;
      this.#cfg.sinks.markDirty(e);
    }
  }

  onNewSpan(
    attrs: {
      readonly id: bigint;
      readonly metadata: Metadata;
      readonly fields: Record<string, FieldValue>;
      readonly parent: bigint | undefined;
    },
    ctx: Context,
  ): void {
    const meta = attrs.metadata;
    const { role, metaId } = this.#knownOf(meta);
    if (role !== Role.SPAWN && role !== Role.RESOURCE && role !== Role.ASYNC_OP) return;
    const { queue, clock } = this.#cfg;
    const at = clock.now();
    const f = attrs.fields;
    let entity: Entity;
    if (role === Role.SPAWN) {
      const task = new TaskEntity(attrs.id, metaId, meta, at, f, location(f), this.#slots);
      // The spawning task, for the console's tree; work outside tasks (the root) is no parent.
      const parent = this.#nearest("task", attrs.parent, ctx);
      if (parent !== undefined && !parent.isRoot && !task.isRoot) task.parent = parent.id;
      entity = task;
    } else if (role === Role.RESOURCE) {
      const concreteType = f.concrete_type;
      const kind = f.kind;
      // Upstream ignores a resource span without both; so do we.
      if (typeof concreteType !== "string" || typeof kind !== "string") return;
      entity = new ResourceEntity(attrs.id, metaId, meta, at, {
        concreteType: cap(concreteType),
        kind: cap(kind),
        location: location(f),
        parent: this.#nearest("resource", attrs.parent, ctx),
        isInternal: f.is_internal === true,
        inheritChildAttrs: f.inherits_child_attrs === true,
      });
    } else {
      const source = f.source;
      const resource = this.#nearest("resource", attrs.parent, ctx);
      if (typeof source !== "string" || resource === undefined) return;
      entity = new AsyncOpEntity(attrs.id, metaId, meta, at, {
        source: cap(source),
        resource,
        parent: this.#nearest("asyncOp", attrs.parent, ctx),
        inheritChildAttrs: f.inherits_child_attrs === true,
        taskId: this.#currentTask(ctx)?.id,
      });
    }
    if (queue.push(entity)) this.#byId.set(attrs.id, entity);
    else if (entity.kind === "task") entity.release();
  }

  /** The entity of a span id, through a one-entry cache: a poll's exit follows its enter. */
  #lookup(id: bigint): Entity | undefined {
    if (id === this.#lastId) return this.#lastE;
    const e = this.#byId.get(id);
    if (e !== undefined) {
      this.#lastId = id;
      this.#lastE = e;
    }
    return e;
  }

  onEnter(id: bigint, ctx: Context, at?: number): void {
    const e = this.#lookup(id);
    if (e === undefined) return;
    this.#stack.push(e);
    if (e.kind === "resource") return;
    // One clock read per poll boundary: the runtime passes the instant it read for the exit
    // of one poll and the start of the next (performance.now() scale, so only with that clock).
    const now = at !== undefined && this.#hostClock ? at : this.#cfg.clock.now();
    if (e.kind === "task") {
      const ms = e.startPoll(now);
      if (ms >= 0) {
        e.scheduledMs += ms;
        recordScheduledDuration(e, Math.round(ms * 1e6), this.#cfg.scheduledDurationMaxNs);
      }
    } else {
      startPoll(e, now);
      if (e.taskId === undefined) e.taskId = this.#currentTask(ctx)?.id;
    }
    if (!e.dirty) {
      e.dirty = true;
      this.#cfg.sinks.markDirty(e);
    }
  }

  onExit(id: bigint, _ctx: Context, at?: number): void {
    const e = this.#lookup(id);
    if (e === undefined) return;
    const stack = this.#stack;
    if (stack[stack.length - 1] === e) stack.pop();
    else {
      const i = stack.lastIndexOf(e);
      if (i >= 0) stack.splice(i, 1);
    }
    if (e.kind === "resource") return;
    const now = at !== undefined && this.#hostClock ? at : this.#cfg.clock.now();
    if (e.kind === "task") {
      const ms = e.endPoll(now);
      if (ms >= 0) {
        recordPollDuration(e, Math.round(ms * 1e6), this.#cfg.pollDurationMaxNs);
        // The root's polls during start-up are module loading and top-level code, run once:
        // recorded in its histogram, not reported as blocking the event loop.
        if (
          ms >= this.#cfg.longPollThresholdMs &&
          !(e.isRoot && now - this.#startedAt < STARTUP_MS)
        ) {
          e.longPolls++;
          this.#cfg.sinks.longPoll(e, ms, now);
        }
      }
    } else endPoll(e, now);
    if (!e.dirty) {
      e.dirty = true;
      this.#cfg.sinks.markDirty(e);
    }
  }

  /**
   * Fields a task records later (a request's route and status): the task is announced again
   * with them, as clients take a task they already know for an update of its fields.
   */
  onRecord(id: bigint, values: Record<string, FieldValue>, _ctx: Context): void {
    const e = this.#byId.get(id);
    if (e?.kind !== "task") return;
    e.fields = { ...e.fields, ...values };
    e.unsent = true;
    this.#dirty(e);
  }

  onClose(id: bigint, _ctx: Context): void {
    const e = this.#byId.get(id);
    if (e === undefined) return;
    this.#byId.delete(id);
    if (this.#lastId === id) {
      this.#lastId = undefined;
      this.#lastE = undefined;
    }
    if (!Number.isNaN(e.droppedAt)) return;
    e.droppedAt = this.#cfg.clock.now();
    // A completed task is frozen by markDropped (now, or as the queue is drained) and announced
    // from the frozen store: listing it as dirty too only made the next delta look it up again.
    if (e.kind !== "task") this.#dirty(e);
    this.#cfg.sinks.markDropped(e);
  }

  onEvent(
    event: {
      readonly metadata: Metadata;
      readonly fields: Record<string, FieldValue>;
      readonly parent: bigint | undefined;
      readonly at?: number;
    },
    ctx: Context,
  ): void {
    const { role, metaId } = this.#knownOf(event.metadata);
    const f = event.fields;
    if (role === Role.WAKER) {
      const task = this.#entity(asU64(f["task.id"]));
      if (task?.kind !== "task") return;
      const op = f.op;
      if (op === "waker.clone") task.wakerClones++;
      else if (op === "waker.drop") task.wakerDrops++;
      else if (op === "waker.wake" || op === "waker.wake_by_ref") {
        if (op === "waker.wake") task.wakerDrops++;
        const at = event.at;
        const now = at !== undefined && this.#hostClock ? at : this.#cfg.clock.now();
        if (!(task.lastWake >= now)) task.lastWake = now;
        task.wakes++;
        if (this.#stack.includes(task)) task.selfWakes++;
      } else return;
      this.#dirty(task);
    } else if (role === Role.POLL_OP) {
      const op = this.#nearest("asyncOp", event.parent, ctx);
      const task = this.#currentTask(ctx)?.id ?? op?.taskId;
      if (op === undefined || task === undefined) return;
      if (typeof f.op_name !== "string" || typeof f.is_ready !== "boolean") return;
      op.taskId ??= task;
      this.#cfg.queue.push({
        kind: "pollOp",
        metaId,
        resourceId: op.resource.id,
        asyncOpId: op.id,
        taskId: task,
        name: cap(f.op_name),
        isReady: f.is_ready,
      });
    } else if (role === Role.RESOURCE_STATE || role === Role.ASYNC_OP_STATE) {
      const owner =
        role === Role.RESOURCE_STATE
          ? this.#nearest("resource", event.parent, ctx)
          : this.#nearest("asyncOp", event.parent, ctx);
      if (owner === undefined) return;
      let name: string | undefined;
      let value: FieldValue;
      let op: string | undefined;
      let unit: string | undefined;
      for (const k in f) {
        const v = f[k];
        if (k.endsWith(".op")) op = typeof v === "string" ? v : undefined;
        else if (k.endsWith(".unit")) unit = typeof v === "string" ? cap(v) : undefined;
        else if (v !== undefined) {
          name = k;
          value = v;
        }
      }
      if (name === undefined) return;
      applyAttr(owner, owner.id, name, value, op, unit, metaId);
      this.#dirty(owner);
      const parent = owner.parent;
      if (parent?.inheritChildAttrs) {
        applyAttr(parent, owner.id, name, value, op, unit, metaId);
        this.#dirty(parent);
      }
    }
  }
}

/** Returns true when this enter starts a poll (not a nested re-enter). */
function startPoll(p: PollCounters, now: number): boolean {
  if (p.current++ > 0) return false;
  if (Number.isNaN(p.firstPoll)) p.firstPoll = now;
  // Scheduled time is measured against the previous poll's end, so read it before overwriting.
  p.polls++;
  p.lastPollStarted = now;
  return true;
}

/** Returns the poll's duration in ms when this exit ends a poll. */
function endPoll(p: PollCounters, now: number): number | undefined {
  if (p.current === 0) return undefined;
  if (--p.current > 0) return undefined;
  const ms = Math.max(0, now - p.lastPollStarted);
  p.lastPollEnded = now;
  p.busyMs += ms;
  return ms;
}

/** A line or column as a number; numbers pass without a detour through bigint (per task). */
function locNumber(v: FieldValue): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const u = asU64(v);
  return u === undefined ? undefined : Number(u);
}

/** The previous location: spawn bursts come from one site, so most tasks share one Loc object. */
let lastLoc: Loc | undefined;

function location(f: Record<string, FieldValue>): Loc | undefined {
  const file = f["loc.file"];
  if (typeof file !== "string") return undefined;
  const l = locNumber(f["loc.line"]);
  const c = locNumber(f["loc.col"]);
  const prev = lastLoc;
  if (prev !== undefined && prev.line === l && prev.column === c && prev.file === cap(file))
    return prev;
  lastLoc = { file: cap(file), line: l, column: c };
  return lastLoc;
}
