// The bounded queue between the layer (hot path) and the aggregator (timer). Pushing never
// blocks and never allocates beyond its capacity: when full, the item is dropped and counted.
import type { Entity } from "./entities.ts";

/** A poll op seen on a resource (upstream's PollOp event). */
export interface PollOpItem {
  readonly kind: "pollOp";
  readonly metaId: bigint;
  readonly resourceId: bigint;
  /** Undefined for the long-poll records on the warnings resource. */
  readonly asyncOpId: bigint | undefined;
  readonly taskId: bigint;
  readonly name: string;
  readonly isReady: boolean;
}

export type QueueItem = Entity | PollOpItem;

/**
 * Queue length that triggers an early aggregation (or half the capacity, if smaller). Small, so
 * each one is short: with a task per request, 2,048 made every early publish stall the event
 * loop for 16 ms at the median (a hello-world's p99); 256 gives 1.8 ms, for the same total.
 */
const FLUSH_AT = 256;

export class BoundedQueue {
  readonly capacity: number;
  readonly #slots: Array<QueueItem | undefined>;
  #head = 0;
  #size = 0;
  /** Dropped since the last Update, per kind, as the three dropped_events fields report them. */
  droppedTasks = 0;
  droppedResources = 0;
  droppedAsyncOps = 0;
  /**
   * Called when the queue holds `flushAt` items, so the aggregator drains early: before it could
   * overflow, and before short-lived entities live long enough to be promoted by the GC.
   */
  onFlush: (() => void) | undefined;
  readonly flushAt: number;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(
        "PERISCOPE_CONSOLE_BUFFER_CAPACITY: the event buffer capacity must be a positive integer",
      );
    }
    this.capacity = capacity;
    this.flushAt = Math.max(1, Math.min(FLUSH_AT, Math.floor(capacity / 2)));
    this.#slots = new Array<QueueItem | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Returns false (and counts a drop) when full. */
  push(item: QueueItem): boolean {
    if (this.#size === this.capacity) {
      if (item.kind === "task") this.droppedTasks++;
      else if (item.kind === "resource") this.droppedResources++;
      else this.droppedAsyncOps++;
      return false;
    }
    this.#slots[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
    if (this.#size === this.flushAt) this.onFlush?.();
    return true;
  }

  /** Hands every queued item to fn, oldest first, and empties the queue. */
  drain(fn: (item: QueueItem) => void): number {
    const n = this.#size;
    for (let i = 0; i < n; i++) {
      const at = (this.#head + i) % this.capacity;
      const item = this.#slots[at] as QueueItem;
      this.#slots[at] = undefined;
      fn(item);
    }
    this.#head = (this.#head + n) % this.capacity;
    this.#size = 0;
    return n;
  }
}
