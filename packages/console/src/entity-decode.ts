// Resources and async ops as the console shows them, made from their console-api messages: the
// new entity from its announcement, and its figures from each stats update.
import type {
  AsyncOp as AsyncOpMsg,
  AsyncOpStats,
  Duration,
  Resource as ResourceMsg,
  ResourceStats,
  Timestamp,
} from "@periscope/console-api";
import { decodeAttribute, formatLocation, type Meta } from "./fields.ts";
import type { AsyncOp, Resource } from "./model.ts";
import { sanitize } from "./sanitize.ts";

/** A server timestamp as the state's relative time. */
type Rel = (t: Timestamp | undefined) => number | undefined;

export function durNs(d: Duration | undefined): number {
  return d ? Number(d.seconds) * 1e9 + d.nanos : 0;
}

export function newResource(
  r: ResourceMsg,
  metas: Map<bigint, Meta>,
  seq: number,
  now: number,
): Resource {
  const meta = r.metadata ? metas.get(r.metadata.id) : undefined;
  const kind =
    r.kind?.known === 0 ? "Timer" : r.kind?.other !== undefined ? sanitize(r.kind.other) : "";
  const res: Resource = {
    spanId: (r.id as { id: bigint }).id,
    seq,
    parentSpanId: r.parentResourceId?.id,
    kind,
    concreteType: sanitize(r.concreteType),
    target: meta?.target ?? "",
    location: formatLocation(r.location),
    visibility: r.isInternal ? "internal" : "public",
    createdAt: now,
    droppedAt: undefined,
    attributes: [],
    attributesText: "",
    attrs: new Map(),
    search: "",
  };
  res.search = `${res.kind} ${res.concreteType} ${res.target} ${res.location}`.toLowerCase();
  return res;
}

export function applyResourceStats(
  res: Resource,
  s: ResourceStats,
  metas: Map<bigint, Meta>,
  rel: Rel,
): void {
  res.createdAt = rel(s.createdAt) ?? res.createdAt;
  res.droppedAt = rel(s.droppedAt);
  const attrs = s.attributes.map((a) => decodeAttribute(a, metas)).filter((a) => a !== undefined);
  res.attributes = attrs.map((a) => a.text);
  res.attrs = new Map(attrs.map((a) => [a.name, { value: a.value, unit: a.unit }]));
  res.attributesText = res.attributes.join(" ");
  res.search =
    `${res.kind} ${res.concreteType} ${res.target} ${res.location} ${res.attributesText}`.toLowerCase();
}

export function newAsyncOp(o: AsyncOpMsg, seq: number, now: number): AsyncOp {
  return {
    spanId: (o.id as { id: bigint }).id,
    seq,
    parentSpanId: o.parentAsyncOpId?.id,
    resourceSpanId: o.resourceId?.id,
    source: sanitize(o.source),
    taskSpanId: undefined,
    createdAt: now,
    droppedAt: undefined,
    polls: 0,
    busy: 0,
    lastPollStarted: undefined,
    lastPollEnded: undefined,
    attributes: [],
    attributesText: "",
  };
}

export function applyAsyncOpStats(
  op: AsyncOp,
  s: AsyncOpStats,
  metas: Map<bigint, Meta>,
  rel: Rel,
): void {
  op.createdAt = rel(s.createdAt) ?? op.createdAt;
  op.droppedAt = rel(s.droppedAt);
  op.taskSpanId = s.taskId?.id ?? op.taskSpanId;
  if (s.pollStats) {
    op.polls = Number(s.pollStats.polls ?? 0);
    op.busy = durNs(s.pollStats.busyTime);
    op.lastPollStarted = rel(s.pollStats.lastPollStarted);
    op.lastPollEnded = rel(s.pollStats.lastPollEnded);
  }
  op.attributes = s.attributes
    .map((a) => decodeAttribute(a, metas)?.text)
    .filter((a): a is string => a !== undefined);
  op.attributesText = op.attributes.join(" ");
}
