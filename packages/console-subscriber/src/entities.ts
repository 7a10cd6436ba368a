// What the console knows about each task, resource and async op: static data from the span plus
// cumulative stats the layer updates in place (cheap, bounded: one object per entity, like upstream).
import { HdrHistogram } from "@periscope/console-api";
import type { Fields, FieldValue, Metadata } from "@periscope/tracing";

/** Source location as console-api's Location wants it. */
export interface Loc {
  file: string;
  line: number | undefined;
  column: number | undefined;
}

/** Shared by the layer (which mutates) and the aggregator (which publishes and forgets). */
export interface DirtySink {
  markDirty(e: Entity): void;
}

interface Base {
  readonly id: bigint;
  readonly metaId: bigint;
  readonly metadata: Metadata;
  /** Monotonic ms. */
  readonly createdAt: number;
  /** Monotonic ms, NaN while live. */
  droppedAt: number;
  /** Changed since the last published delta (and queued in the aggregator's dirty list). */
  dirty: boolean;
  /** Not yet announced in a delta's new_* list. */
  unsent: boolean;
}

/** Poll bookkeeping shared by tasks and async ops (upstream's PollStats). */
export class PollCounters {
  polls = 0;
  /** How many nested enters are in progress (a span re-entered while entered counts once). */
  current = 0;
  firstPoll = Number.NaN;
  lastPollStarted = Number.NaN;
  lastPollEnded = Number.NaN;
  lastWake = Number.NaN;
  busyMs = 0;
  scheduledMs = 0;
}

/** What few tasks need: histograms beyond one sample, frozen bytes, outliers, long polls. */
class TaskRare {
  pollHist: HdrHistogram | undefined;
  schedHist: HdrHistogram | undefined;
  pollBytes: Uint8Array | undefined;
  schedBytes: Uint8Array | undefined;
  pollOutliers = 0;
  pollMaxOutlier = 0;
  schedOutliers = 0;
  schedMaxOutlier = 0;
  longPolls = 0;
}

export class TaskEntity extends PollCounters implements Base {
  // On the prototype, not in every one of a million short tasks (see below the class).
  declare readonly kind: "task";
  readonly id: bigint;
  readonly metaId: bigint;
  readonly metadata: Metadata;
  readonly createdAt: number;
  readonly fields: Fields;
  readonly location: Loc | undefined;
  droppedAt = Number.NaN;
  dirty = true;
  unsent = true;
  wakes = 0;
  wakerClones = 0;
  wakerDrops = 0;
  selfWakes = 0;
  /** Poll and scheduled durations in ns. A short task has one sample, kept inline (NaN: none); */
  /** the histogram object appears with the second sample. */
  pollOne = Number.NaN;
  schedOne = Number.NaN;
  /**
   * The fields most tasks never use, in one object made on first write: a live task is about
   * 70 bytes smaller, which matters when a burst of them outlives a young-generation GC.
   */
  #rare: TaskRare | undefined;

  get blocking(): boolean {
    return this.fields.kind === "blocking";
  }
  get pollHist(): HdrHistogram | undefined {
    return this.#rare?.pollHist;
  }
  set pollHist(v: HdrHistogram | undefined) {
    if (v !== undefined || this.#rare !== undefined) this.#r().pollHist = v;
  }
  get schedHist(): HdrHistogram | undefined {
    return this.#rare?.schedHist;
  }
  set schedHist(v: HdrHistogram | undefined) {
    if (v !== undefined || this.#rare !== undefined) this.#r().schedHist = v;
  }
  /** V2 bytes of a completed task's histograms, once it is frozen. */
  get pollBytes(): Uint8Array | undefined {
    return this.#rare?.pollBytes;
  }
  set pollBytes(v: Uint8Array | undefined) {
    if (v !== undefined || this.#rare !== undefined) this.#r().pollBytes = v;
  }
  get schedBytes(): Uint8Array | undefined {
    return this.#rare?.schedBytes;
  }
  set schedBytes(v: Uint8Array | undefined) {
    if (v !== undefined || this.#rare !== undefined) this.#r().schedBytes = v;
  }
  get pollOutliers(): number {
    return this.#rare?.pollOutliers ?? 0;
  }
  set pollOutliers(v: number) {
    this.#r().pollOutliers = v;
  }
  get pollMaxOutlier(): number {
    return this.#rare?.pollMaxOutlier ?? 0;
  }
  set pollMaxOutlier(v: number) {
    this.#r().pollMaxOutlier = v;
  }
  get schedOutliers(): number {
    return this.#rare?.schedOutliers ?? 0;
  }
  set schedOutliers(v: number) {
    this.#r().schedOutliers = v;
  }
  get schedMaxOutlier(): number {
    return this.#rare?.schedMaxOutlier ?? 0;
  }
  set schedMaxOutlier(v: number) {
    this.#r().schedMaxOutlier = v;
  }
  get longPolls(): number {
    return this.#rare?.longPolls ?? 0;
  }
  set longPolls(v: number) {
    this.#r().longPolls = v;
  }
  #r(): TaskRare {
    this.#rare ??= new TaskRare();
    return this.#rare;
  }

  constructor(
    id: bigint,
    metaId: bigint,
    metadata: Metadata,
    at: number,
    fields: Fields,
    location: Loc | undefined,
  ) {
    super();
    this.id = id;
    this.metaId = metaId;
    this.metadata = metadata;
    this.createdAt = at;
    this.fields = fields;
    this.location = location;
  }

  /** The task's display name: task.name, else its id field, for warnings. */
  label(): string {
    const name = this.fields["task.name"];
    const tid = this.fields["task.id"];
    const n = typeof name === "string" && name !== "" ? name : undefined;
    const t = typeof tid === "number" || typeof tid === "bigint" ? String(tid) : undefined;
    return n !== undefined && t !== undefined ? `${t} (${n})` : (n ?? t ?? `span ${this.id}`);
  }
}

Object.defineProperty(TaskEntity.prototype, "kind", { value: "task" });

/** A resource or async-op attribute, keyed upstream by (updating span id, field name). */
export interface Attr {
  readonly name: string;
  readonly from: bigint;
  value: FieldValue;
  unit: string | undefined;
  readonly metaId: bigint;
}

export class ResourceEntity implements Base {
  readonly kind = "resource" as const;
  readonly id: bigint;
  readonly metaId: bigint;
  readonly metadata: Metadata;
  readonly createdAt: number;
  readonly concreteType: string;
  readonly resourceKind: string;
  readonly location: Loc | undefined;
  readonly parentId: bigint | undefined;
  readonly isInternal: boolean;
  readonly inheritChildAttrs: boolean;
  readonly parent: ResourceEntity | undefined;
  droppedAt = Number.NaN;
  dirty = true;
  unsent = true;
  attrs: Attr[] | undefined;

  constructor(
    id: bigint,
    metaId: bigint,
    metadata: Metadata,
    at: number,
    init: {
      concreteType: string;
      kind: string;
      location: Loc | undefined;
      parent: ResourceEntity | undefined;
      isInternal: boolean;
      inheritChildAttrs: boolean;
    },
  ) {
    this.id = id;
    this.metaId = metaId;
    this.metadata = metadata;
    this.createdAt = at;
    this.concreteType = init.concreteType;
    this.resourceKind = init.kind;
    this.location = init.location;
    this.parent = init.parent;
    this.parentId = init.parent?.id;
    this.isInternal = init.isInternal;
    this.inheritChildAttrs = init.inheritChildAttrs;
  }
}

export class AsyncOpEntity extends PollCounters implements Base {
  readonly kind = "asyncOp" as const;
  readonly id: bigint;
  readonly metaId: bigint;
  readonly metadata: Metadata;
  readonly createdAt: number;
  readonly source: string;
  readonly resource: ResourceEntity;
  readonly parent: AsyncOpEntity | undefined;
  readonly inheritChildAttrs: boolean;
  taskId: bigint | undefined;
  droppedAt = Number.NaN;
  dirty = true;
  unsent = true;
  attrs: Attr[] | undefined;

  constructor(
    id: bigint,
    metaId: bigint,
    metadata: Metadata,
    at: number,
    init: {
      source: string;
      resource: ResourceEntity;
      parent: AsyncOpEntity | undefined;
      inheritChildAttrs: boolean;
      taskId: bigint | undefined;
    },
  ) {
    super();
    this.id = id;
    this.metaId = metaId;
    this.metadata = metadata;
    this.createdAt = at;
    this.source = init.source;
    this.resource = init.resource;
    this.parent = init.parent;
    this.inheritChildAttrs = init.inheritChildAttrs;
    this.taskId = init.taskId;
  }
}

export type Entity = TaskEntity | ResourceEntity | AsyncOpEntity;

/**
 * Map key for an id: a number while it is exact (registry span ids count up from 1), else a string.
 * Maps keyed by bigint hash far more slowly, and this is on the per-task path.
 */
export function idKey(id: bigint): number | string {
  return id <= 9007199254740991n ? Number(id) : id.toString();
}

/** Histogram bounds as upstream's defaults: 1 s max, 2 significant digits, in ns. */
export const DEFAULT_DURATION_MAX_NS = 1_000_000_000;

export function recordPollDuration(t: TaskEntity, ns: number, maxNs: number): void {
  if (ns > maxNs) {
    t.pollOutliers++;
    if (ns > t.pollMaxOutlier) t.pollMaxOutlier = ns;
  }
  const v = Math.min(ns, maxNs);
  if (t.pollHist !== undefined) t.pollHist.record(v);
  else if (Number.isNaN(t.pollOne)) t.pollOne = v;
  else {
    t.pollHist = HdrHistogram.withMax(maxNs, 2);
    t.pollHist.record(t.pollOne);
    t.pollHist.record(v);
  }
}

export function recordScheduledDuration(t: TaskEntity, ns: number, maxNs: number): void {
  if (ns > maxNs) {
    t.schedOutliers++;
    if (ns > t.schedMaxOutlier) t.schedMaxOutlier = ns;
  }
  const v = Math.min(ns, maxNs);
  if (t.schedHist !== undefined) t.schedHist.record(v);
  else if (Number.isNaN(t.schedOne)) t.schedOne = v;
  else {
    t.schedHist = HdrHistogram.withMax(maxNs, 2);
    t.schedHist.record(t.schedOne);
    t.schedHist.record(v);
  }
}

/** V2 bytes for one of a task's histograms, whichever form it is in. */
export function histogramBytes(
  h: HdrHistogram | undefined,
  one: number,
  frozen: Uint8Array | undefined,
  maxNs: number,
): Uint8Array {
  if (frozen !== undefined) return frozen;
  if (h !== undefined) return h.encodeV2();
  const tmp = HdrHistogram.withMax(maxNs, 2);
  if (!Number.isNaN(one)) tmp.record(one);
  return tmp.encodeV2();
}

/** Applies a state update the way upstream's attribute.rs does (add/sub saturate, else override). */
export function applyAttr(
  owner: ResourceEntity | AsyncOpEntity,
  from: bigint,
  name: string,
  value: FieldValue,
  op: string | undefined,
  unit: string | undefined,
  metaId: bigint,
): void {
  owner.attrs ??= [];
  let attr = owner.attrs.find((a) => a.name === name && a.from === from);
  if (attr === undefined) {
    // Upstream inserts the update as is, whatever its op.
    attr = { name, from, value, unit, metaId };
    owner.attrs.push(attr);
    return;
  }
  if (unit !== undefined) attr.unit = unit;
  const cur = attr.value;
  if (
    (typeof cur === "number" || typeof cur === "bigint") &&
    (typeof value === "number" || typeof value === "bigint")
  ) {
    const a = BigInt(cur);
    const b = BigInt(value);
    if (op === "add") attr.value = a + b;
    else if (op === "sub") attr.value = a - b < 0n && a >= 0n && b >= 0n ? 0n : a - b;
    else if (op === "override") attr.value = value;
    return;
  }
  attr.value = value;
}
