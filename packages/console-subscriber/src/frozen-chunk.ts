// The layout of a chunk of retained task rows (frozen-tasks.ts): its columns, flags, the Chunk that
// holds them, and the small conversions and byte counts the store needs.
import { type Columns, newColumns, unpack } from "./frozen-pack.ts";
import type { Blob } from "./row-values.ts";
import type { TaskEntity } from "./task-entity.ts";

export const CHUNK = 4096;
// Uint32 columns: times as ns before dropped_at (a task's whole life fits in 2^32 ns, 4.29 s, in
// the compact form), durations in ns, and the shared static info.
export const CREATED = 0;
export const FIRST_POLL = 1;
export const LAST_END = 2;
export const LAST_WAKE = 3;
export const BUSY = 4;
export const SCHED = 5;
export const STATIC = 6;
export const U32 = 7;
// Uint8 columns: counters (a short task's are small; larger ones make the row wide), and flags.
export const POLLS = 0;
export const WAKES = 1;
export const CLONES = 2;
export const DROPS = 3;
export const SELF_WAKES = 4;
export const LONG_POLLS = 5;
export const FLAGS = 6;
export const U8 = 7;
// Int32 columns: span id, task id and the parent task's span id as deltas from the chunk's first
// row (the parent is kept so that a console connecting later still gets Task.parents).
export const ID = 0;
export const TID = 1;
export const PARENT = 2;
export const I32 = 3;
export const WIDTHS = { i32: I32, u32: U32, u8: U8 };
/** A row's bytes in an open chunk. */
export const ROW_BYTES = I32 * 4 + 8 + U32 * 4 + U8;

export const NONE = 0xffffffff;
export const NO_TID = -0x80000000;
/** In the parent column: the task has no parent (other than the root). */
export const NO_PARENT = -0x80000000;
export const U8_MAX = 0xff;
/** In the lazy last-poll-start column: the same as the first poll (always so for one poll). */
export const SAME = 0xfffffffe;
/** The row is a whole TaskEntity in `wide` (it did not fit the compact form). */
export const F_WIDE = 1;
/** Not yet announced to consumers in a delta's new_tasks. */
export const F_UNSENT = 2;
/** The task had one scheduled-time sample (equal to its scheduled time). */
export const F_SCHED_ONE = 4;
/** The row's poll-time / scheduled-time histogram is in the chunk's blob, after its values. */
export const F_POLL_HIST = 8;
export const F_SCHED_HIST = 16;
/**
 * Estimated heap of a row kept as a whole TaskEntity (the entity, its own doubles and fields) and
 * of a histogram kept in a chunk's map, beyond their bytes: for the retained-bytes budget.
 */
export const WIDE_BYTES = 900;
export const HIST_ENTRY_BYTES = 200;

export class Chunk {
  /** The columns while the chunk is open; undefined while it is packed. */
  cols: Columns | undefined = newColumns(CHUNK, I32, U32, U8);
  /** The packed columns, and the range of their span id deltas. */
  packed: Uint8Array | undefined;
  minId = 0;
  maxId = 0;
  /**
   * The first row's dropped_at. Every row's is kept in whole nanoseconds after it, so that the
   * packed form reads back exactly what the open one held.
   */
  dropBase = 0;
  /** The first row's span id, as a number (NaN when above 2^53: then every row is wide). */
  baseId = 0;
  baseTid = 0;
  /** Histograms of tasks with more than one sample, by row. */
  hists: Map<number, [Uint8Array | undefined, Uint8Array | undefined]> | undefined;
  /** Rows that did not fit the compact form (long-lived tasks, outliers, huge counters). */
  wide: Map<number, TaskEntity> | undefined;
  /** Rows' differing field values and histogram payloads (see row-values.ts). */
  blob: Blob | undefined;
  /** Estimated heap of the wide rows and the histograms in `hists`. */
  heavy = 0;
  n = 0;
}

/** ns between `at` and `dropped`, or NONE for NaN, or -1 when it does not fit. */
export function before(dropped: number, at: number): number {
  if (Number.isNaN(at)) return NONE;
  const ns = Math.round((dropped - at) * 1e6);
  return ns >= 0 && ns < NONE ? ns : -1;
}

/** `at` on whole nanoseconds from `base` (within half a nanosecond). */
export function onNs(base: number, at: number): number {
  return base + Math.round((at - base) * 1e6) / 1e6;
}

/** A span id as a number while exact, else NaN. */
export function exact(id: bigint): number {
  return id <= 9007199254740991n ? Number(id) : Number.NaN;
}

export function nsOf(ms: number): number {
  const ns = Math.round(ms * 1e6);
  return ns >= 0 && ns < NONE ? ns : -1;
}

export function chunkBytes(c: Chunk): number {
  const open = c.cols;
  let n = open === undefined ? (c.packed?.byteLength ?? 0) : CHUNK * ROW_BYTES;
  n += (open?.lastStart?.byteLength ?? 0) + (open?.extra?.byteLength ?? 0);
  return n + (c.blob?.buf.byteLength ?? 0) + c.heavy;
}

/** A chunk's columns to read: its own, or decoded from its packed form (left packed). */
export function read(c: Chunk, into?: Columns): Columns {
  return c.cols ?? unpack(c.packed as Uint8Array, c.dropBase, c.n, CHUNK, WIDTHS, into);
}

/** A chunk's columns to write: a packed chunk is opened for good. */
export function open(c: Chunk): Columns {
  if (c.cols === undefined) {
    c.cols = read(c);
    c.packed = undefined;
  }
  return c.cols;
}
