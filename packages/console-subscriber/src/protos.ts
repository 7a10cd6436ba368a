// Entity -> console-api message conversion. Monotonic times become wall-clock Timestamps here,
// once per publish, so the hot path only ever stores plain numbers.
import {
  type AsyncOp,
  type AsyncOpStats,
  type Attribute,
  type DurationHistogram,
  durationFromNs,
  type Location,
  type PollStats,
  type Resource,
  type ResourceStats,
  type Task,
  type TaskDetails,
  type TaskStats,
  type Timestamp,
  timestampFromMs,
} from "@periscope/console-api";
import type { Clock } from "./clock.ts";
import {
  type AsyncOpEntity,
  type Attr,
  histogramBytes,
  type Loc,
  type PollCounters,
  type ResourceEntity,
} from "./entities.ts";
import { toField } from "./fields.ts";
import type { TaskEntity } from "./task-entity.ts";

export class ProtoBuilder {
  readonly #clock: Clock;
  readonly #pollMaxNs: number;
  readonly #schedMaxNs: number;

  constructor(clock: Clock, pollMaxNs: number, schedMaxNs: number) {
    this.#clock = clock;
    this.#pollMaxNs = pollMaxNs;
    this.#schedMaxNs = schedMaxNs;
  }

  ts(mono: number): Timestamp {
    return timestampFromMs(this.#clock.timeOrigin + mono);
  }
  #opt(mono: number): Timestamp | undefined {
    return Number.isNaN(mono) ? undefined : this.ts(mono);
  }

  task(e: TaskEntity): Task {
    const fields = [];
    for (const k in e.fields) {
      if (k === "loc.file" || k === "loc.line" || k === "loc.col") continue;
      const v = e.fields[k];
      if (v === undefined) continue;
      fields.push(toField(k, v, e.metaId));
    }
    return {
      id: { id: e.id },
      metadata: { id: e.metaId },
      kind: e.blocking ? 1 : 0,
      fields,
      parents: e.parent === undefined ? [] : [{ id: e.parent }],
      location: loc(e.location),
    };
  }

  taskStats(e: TaskEntity): TaskStats {
    return {
      createdAt: this.ts(e.createdAt),
      droppedAt: this.#opt(e.droppedAt),
      wakes: BigInt(e.wakes),
      wakerClones: BigInt(e.wakerClones),
      wakerDrops: BigInt(e.wakerDrops),
      lastWake: this.#opt(e.lastWake),
      pollStats: e.isRoot && e.current > 0 ? this.#rootPollStats(e) : this.#pollStats(e),
      selfWakes: BigInt(e.selfWakes),
      scheduledTime: durationFromNs(msToNs(e.scheduledMs)),
    };
  }

  /**
   * The root mid-poll while we encode is always our own work (this code runs in that slice: a
   * gRPC handler, say), not the program's: sent as a poll that ends now, so it is not shown
   * running forever.
   */
  #rootPollStats(e: TaskEntity): PollStats {
    const now = this.#clock.now();
    return {
      ...this.#pollStats(e),
      lastPollEnded: this.ts(now),
      busyTime: durationFromNs(msToNs(e.busyMs + Math.max(0, now - e.lastPollStarted))),
    };
  }

  #pollStats(p: PollCounters): PollStats {
    return {
      polls: BigInt(p.polls),
      firstPoll: this.#opt(p.firstPoll),
      lastPollStarted: this.#opt(p.lastPollStarted),
      // Absent while a poll is in progress, as upstream documents.
      lastPollEnded: p.current > 0 ? undefined : this.#opt(p.lastPollEnded),
      busyTime: durationFromNs(msToNs(p.busyMs)),
    };
  }

  resource(e: ResourceEntity): Resource {
    return {
      id: { id: e.id },
      metadata: { id: e.metaId },
      concreteType: e.concreteType,
      kind:
        e.resourceKind === "timer"
          ? { known: 0, other: undefined }
          : { known: undefined, other: e.resourceKind },
      location: loc(e.location),
      parentResourceId: e.parentId === undefined ? undefined : { id: e.parentId },
      isInternal: e.isInternal,
    };
  }

  resourceStats(e: ResourceEntity): ResourceStats {
    return {
      createdAt: this.ts(e.createdAt),
      droppedAt: this.#opt(e.droppedAt),
      attributes: attrs(e.attrs),
    };
  }

  asyncOp(e: AsyncOpEntity): AsyncOp {
    return {
      id: { id: e.id },
      metadata: { id: e.metaId },
      source: e.source,
      parentAsyncOpId: e.parent === undefined ? undefined : { id: e.parent.id },
      resourceId: { id: e.resource.id },
    };
  }

  asyncOpStats(e: AsyncOpEntity): AsyncOpStats {
    return {
      createdAt: this.ts(e.createdAt),
      droppedAt: this.#opt(e.droppedAt),
      taskId: e.taskId === undefined ? undefined : { id: e.taskId },
      pollStats: this.#pollStats(e),
      attributes: attrs(e.attrs),
    };
  }

  taskDetails(e: TaskEntity, nowMono: number): TaskDetails {
    return {
      taskId: { id: e.id },
      now: this.ts(nowMono),
      legacyHistogram: undefined,
      histogram: hist(
        histogramBytes(e.pollHist, e.pollOne, e.pollBytes, this.#pollMaxNs),
        this.#pollMaxNs,
        e.pollOutliers,
        e.pollMaxOutlier,
      ),
      scheduledTimesHistogram: hist(
        histogramBytes(e.schedHist, e.schedOne, e.schedBytes, this.#schedMaxNs),
        this.#schedMaxNs,
        e.schedOutliers,
        e.schedMaxOutlier,
      ),
    };
  }
}

function hist(
  bytes: Uint8Array,
  maxNs: number,
  outliers: number,
  maxOutlier: number,
): DurationHistogram {
  return {
    rawHistogram: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    maxValue: BigInt(maxNs),
    highOutliers: BigInt(outliers),
    highestOutlier: outliers > 0 ? BigInt(maxOutlier) : undefined,
  };
}

function msToNs(ms: number): bigint {
  return BigInt(Math.max(0, Math.round(ms * 1e6)));
}

function loc(l: Loc | undefined): Location | undefined {
  if (l === undefined) return undefined;
  return { file: l.file, modulePath: undefined, line: l.line, column: l.column };
}

function attrs(list: Attr[] | undefined): Attribute[] {
  if (list === undefined) return [];
  return list.map((a) => ({ field: toField(a.name, a.value, a.metaId), unit: a.unit }));
}
