// Data the console-api has no field for, carried as two synthetic resources whose attributes any
// console shows: "periscope::Warnings" (long polls) and "node::EventLoop" (loop delay, utilization).
import { type ELDHistogram, monitorEventLoopDelay, performance } from "node:perf_hooks";
import { Level, type Metadata } from "@periscope/tracing";
import { applyAttr, type DirtySink, ResourceEntity } from "./entities.ts";
import type { MetadataRegistry } from "./metadata.ts";
import type { TaskEntity } from "./task-entity.ts";

/** Ids far above any span id the registry hands out (they count up from 1). */
export const WARNINGS_RESOURCE_ID = 2n ** 64n - 1n;
export const EVENT_LOOP_RESOURCE_ID = 2n ** 64n - 2n;

const WARNINGS_META: Metadata = Object.freeze({
  name: "runtime.resource",
  target: "periscope::console::warnings",
  level: Level.TRACE,
  kind: "span",
  fields: Object.freeze(["concrete_type", "kind"]),
});
const EVENT_LOOP_META: Metadata = Object.freeze({
  name: "runtime.resource",
  target: "periscope::console::event_loop",
  level: Level.TRACE,
  kind: "span",
  fields: Object.freeze(["concrete_type", "kind"]),
});

export class Warnings {
  readonly resource: ResourceEntity;
  readonly #dirty: DirtySink;
  readonly #thresholdMs: number;
  #count = 0;
  #worstMs = 0;
  #retained = [-1, -1, -1];

  constructor(metas: MetadataRegistry, dirty: DirtySink, thresholdMs: number, at: number) {
    const metaId = metas.idFor(WARNINGS_META);
    this.resource = new ResourceEntity(WARNINGS_RESOURCE_ID, metaId, WARNINGS_META, at, {
      concreteType: "periscope::Warnings",
      kind: "warnings",
      location: undefined,
      parent: undefined,
      isInternal: true,
      inheritChildAttrs: false,
    });
    this.#dirty = dirty;
    this.#thresholdMs = thresholdMs;
    this.#set("long_polls", 0n, "polls");
    this.#set("long_poll.threshold", BigInt(Math.round(thresholdMs)), "ms");
  }

  get count(): number {
    return this.#count;
  }

  #set(name: string, value: bigint | string, unit: string | undefined): void {
    applyAttr(this.resource, this.resource.id, name, value, "override", unit, this.resource.metaId);
  }

  /** A poll blocked the event loop for `ms`: count it and remember the latest and the worst. */
  longPoll(task: TaskEntity, ms: number): void {
    this.#count++;
    this.#set("long_polls", BigInt(this.#count), "polls");
    const us = BigInt(Math.round(ms * 1000));
    const where = this.where(task);
    // The span id (what console-api calls a task's id) beside the label's runtime task id.
    this.#set("last_long_poll.span_id", task.id, undefined);
    this.#set("last_long_poll.task", task.label(), undefined);
    this.#set("last_long_poll.duration", us, "us");
    this.#set("last_long_poll.location", where, undefined);
    if (ms >= this.#worstMs) {
      this.#worstMs = ms;
      this.#set("worst_long_poll.span_id", task.id, undefined);
      this.#set("worst_long_poll.task", task.label(), undefined);
      this.#set("worst_long_poll.duration", us, "us");
      this.#set("worst_long_poll.location", where, undefined);
    }
    this.#markDirty();
  }

  /**
   * What retained completed tasks hold against their budget, and how many went early for it:
   * sent (as attributes) only when they change.
   */
  retained(bytes: number, budget: number | undefined, dropped: number): void {
    const kib = Math.round(bytes / 1024);
    const cap = budget === undefined || !Number.isFinite(budget) ? 0 : Math.round(budget / 1024);
    const r = this.#retained;
    if (r[0] === kib && r[1] === cap && r[2] === dropped) return;
    this.#retained = [kib, cap, dropped];
    this.#set("retained.bytes", BigInt(kib), "KiB");
    this.#set("retained.budget", BigInt(cap), "KiB");
    this.#set("retained.dropped_for_budget", BigInt(dropped), "tasks");
    this.#markDirty();
  }

  /** `file:line:col` of the task's spawn site, or "". */
  where(task: TaskEntity): string {
    const l = task.location;
    return l ? `${l.file}:${l.line ?? 0}:${l.column ?? 0}` : "";
  }

  #markDirty(): void {
    if (!this.resource.dirty) {
      this.resource.dirty = true;
      this.#dirty.markDirty(this.resource);
    }
  }

  get thresholdMs(): number {
    return this.#thresholdMs;
  }
}

const DELAY_RESOLUTION_MS = 10;

/** Samples perf_hooks once per publish; the histogram's timer does not keep the process alive. */
export class EventLoopMonitor {
  readonly resource: ResourceEntity;
  readonly #dirty: DirtySink;
  readonly #delay: ELDHistogram;
  #elu = performance.eventLoopUtilization();

  constructor(metas: MetadataRegistry, dirty: DirtySink, at: number) {
    const metaId = metas.idFor(EVENT_LOOP_META);
    this.resource = new ResourceEntity(EVENT_LOOP_RESOURCE_ID, metaId, EVENT_LOOP_META, at, {
      concreteType: "node::EventLoop",
      kind: "event_loop",
      location: undefined,
      parent: undefined,
      isInternal: true,
      inheritChildAttrs: false,
    });
    this.#dirty = dirty;
    this.#delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.#delay.enable();
  }

  /** Values since the previous sample: delay percentiles in µs, utilization in percent. */
  sample(): void {
    const d = this.#delay;
    // Node's histogram records the whole interval between its timer's ticks, so an idle loop
    // reads as the resolution (10 ms); what the console shows is the lateness beyond it.
    const us = (ns: number): bigint =>
      BigInt(Math.max(0, Math.round((ns - DELAY_RESOLUTION_MS * 1e6) / 1000)));
    const r = this.resource;
    const set = (name: string, v: bigint, unit: string): void =>
      applyAttr(r, r.id, name, v, "override", unit, r.metaId);
    if (d.count > 0) {
      set("delay.p50", us(d.percentile(50)), "us");
      set("delay.p99", us(d.percentile(99)), "us");
      set("delay.max", us(d.max), "us");
    }
    d.reset();
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.#elu);
    this.#elu = now;
    set("utilization", BigInt(Math.round(delta.utilization * 100)), "%");
    if (!r.dirty) {
      r.dirty = true;
      this.#dirty.markDirty(r);
    }
  }

  stop(): void {
    this.#delay.disable();
  }
}
