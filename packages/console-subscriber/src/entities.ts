// What the console knows about each task, resource and async op: static data from the span plus
// cumulative stats the layer updates in place (cheap, bounded: one object per entity, like upstream).
import { HdrHistogram } from "@periscope/console-api";
import type { FieldValue, Metadata } from "@periscope/tracing";
import type { TaskEntity } from "./task-entity.ts";

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

export interface EntityBase {
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

/** A resource or async-op attribute, keyed upstream by (updating span id, field name). */
export interface Attr {
  readonly name: string;
  readonly from: bigint;
  value: FieldValue;
  unit: string | undefined;
  readonly metaId: bigint;
}

export class ResourceEntity implements EntityBase {
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

export class AsyncOpEntity extends PollCounters implements EntityBase {
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
  let attr: Attr | undefined;
  for (const a of owner.attrs) {
    if (a.name === name && a.from === from) {
      attr = a;
      break;
    }
  }
  if (attr === undefined) {
    // Upstream inserts the update as is, whatever its op.
    owner.attrs.push({ name, from, value, unit, metaId });
    return;
  }
  if (unit !== undefined) attr.unit = unit;
  const cur = attr.value;
  if (!isNumeric(cur) || !isNumeric(value) || op === "override") {
    attr.value = value;
    return;
  }
  // A number without a known op changes nothing.
  if (op !== "add" && op !== "sub") return;
  if (typeof cur === "number" && typeof value === "number") {
    // Number arithmetic while exact (the common case: a few permits), saturating at 0 as upstream.
    const r = op === "add" ? cur + value : cur - value;
    if (Number.isSafeInteger(r)) {
      attr.value = op === "sub" && r < 0 && cur >= 0 && value >= 0 ? 0 : r;
      return;
    }
  }
  const a = BigInt(cur);
  const b = BigInt(value);
  if (op === "add") attr.value = a + b;
  else attr.value = a - b < 0n && a >= 0n && b >= 0n ? 0n : a - b;
}

function isNumeric(v: FieldValue): v is number | bigint {
  return typeof v === "number" || typeof v === "bigint";
}
