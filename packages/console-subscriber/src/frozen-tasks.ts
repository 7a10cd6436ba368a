// Completed tasks waiting out their retention, stored as columns in typed-array chunks (51 bytes a
// task) instead of objects, so a million short tasks fit; a full chunk whose rows have all been
// published is packed (frozen-pack.ts), to about 16 bytes a row. Rows are in completion order.
import { asU64 } from "./fields.ts";
import { type Columns, newColumns, pack, unpack } from "./frozen-pack.ts";
import { StaticTable } from "./static-table.ts";
import { TaskEntity } from "./task-entity.ts";

const CHUNK = 4096;
// Uint32 columns: times as ns before dropped_at (a task's whole life fits in 2^32 ns, 4.29 s, in
// the compact form), durations in ns, and the shared static info.
const CREATED = 0;
const FIRST_POLL = 1;
const LAST_END = 2;
const LAST_WAKE = 3;
const BUSY = 4;
const SCHED = 5;
const STATIC = 6;
const U32 = 7;
// Uint8 columns: counters (a short task's are small; larger ones make the row wide), and flags.
const POLLS = 0;
const WAKES = 1;
const CLONES = 2;
const DROPS = 3;
const SELF_WAKES = 4;
const LONG_POLLS = 5;
const FLAGS = 6;
const U8 = 7;
// Int32 columns: span id and task id as deltas from the chunk's first row.
const ID = 0;
const TID = 1;
const I32 = 2;
const WIDTHS = { i32: I32, u32: U32, u8: U8 };
/** A row's bytes in an open chunk. */
const ROW_BYTES = I32 * 4 + 8 + U32 * 4 + U8;

const NONE = 0xffffffff;
const NO_TID = -0x80000000;
const U8_MAX = 0xff;
/** In the lazy last-poll-start column: the same as the first poll (always so for one poll). */
const SAME = 0xfffffffe;
/** The row is a whole TaskEntity in `wide` (it did not fit the compact form). */
const F_WIDE = 1;
/** Not yet announced to consumers in a delta's new_tasks. */
const F_UNSENT = 2;
/** The task had one scheduled-time sample (equal to its scheduled time). */
const F_SCHED_ONE = 4;

class Chunk {
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
  n = 0;
}

/** ns between `at` and `dropped`, or NONE for NaN, or -1 when it does not fit. */
function before(dropped: number, at: number): number {
  if (Number.isNaN(at)) return NONE;
  const ns = Math.round((dropped - at) * 1e6);
  return ns >= 0 && ns < NONE ? ns : -1;
}

/** `at` on whole nanoseconds from `base` (within half a nanosecond). */
function onNs(base: number, at: number): number {
  return base + Math.round((at - base) * 1e6) / 1e6;
}

/** A span id as a number while exact, else NaN. */
function exact(id: bigint): number {
  return id <= 9007199254740991n ? Number(id) : Number.NaN;
}

function nsOf(ms: number): number {
  const ns = Math.round(ms * 1e6);
  return ns >= 0 && ns < NONE ? ns : -1;
}

export class FrozenTasks {
  #chunks: Chunk[] = [];
  /** First live row of the first chunk. */
  #head = 0;
  #size = 0;
  /** Rows added since the last `takeUnpublished` (at the end of the store). */
  #unpublished = 0;
  readonly #statics = new StaticTable();

  get size(): number {
    return this.#size;
  }

  /** Stores a completed task; `unsent` when no delta has announced it yet. */
  add(t: TaskEntity, unsent: boolean): void {
    let c = this.#chunks[this.#chunks.length - 1];
    if (c === undefined || c.n === CHUNK) {
      c = new Chunk();
      c.baseId = exact(t.id);
      c.dropBase = t.droppedAt;
      this.#chunks.push(c);
    }
    const r = c.n++;
    this.#size++;
    this.#unpublished++;
    const tidBig = asU64(t.fields["task.id"]);
    const tid = tidBig !== undefined && tidBig <= 0x7fffffffn ? Number(tidBig) : -1;
    if (r === 0 && tid >= 0) c.baseTid = tid;
    // The last chunk is never packed: only full ones are.
    const cols = c.cols as Columns;
    const s = cols.s;
    const q = r * U8;
    s[q + FLAGS] = unsent ? F_UNSENT : 0;
    if (!this.#compact(c, cols, r, t, tid)) {
      s[q + FLAGS] = (unsent ? F_UNSENT : 0) | F_WIDE;
      cols.dropped[r] = onNs(c.dropBase, t.droppedAt);
      cols.i[r * I32 + ID] = 0;
      c.wide ??= new Map();
      t.pollBytes = t.pollHist?.encodeV2() ?? t.pollBytes;
      t.schedBytes = t.schedHist?.encodeV2() ?? t.schedBytes;
      t.pollHist = undefined;
      t.schedHist = undefined;
      t.dirty = false;
      t.unsent = false;
      t.detach();
      c.wide.set(r, t);
      return;
    }
    if (t.pollHist !== undefined || t.schedHist !== undefined) {
      c.hists ??= new Map();
      c.hists.set(r, [t.pollHist?.encodeV2(), t.schedHist?.encodeV2()]);
    }
    // The row holds all of it now.
    t.release();
  }

  /** Writes the compact form of row r; false when the task does not fit it. */
  #compact(c: Chunk, cols: Columns, r: number, t: TaskEntity, tid: number): boolean {
    // Number arithmetic, not bigint: a bigint difference is an allocation per task.
    const idDelta = exact(t.id) - c.baseId;
    if (!(idDelta >= -0x7fffffff && idDelta <= 0x7fffffff)) return false;
    if (t.pollOutliers > 0 || t.schedOutliers > 0 || t.current > 0) return false;
    const d = onNs(c.dropBase, t.droppedAt);
    const created = before(d, t.createdAt);
    const first = before(d, t.firstPoll);
    const start = before(d, t.lastPollStarted);
    const end = before(d, t.lastPollEnded);
    const wake = before(d, t.lastWake);
    const busy = nsOf(t.busyMs);
    const sched = nsOf(t.scheduledMs);
    if (Math.min(created, first, start, end, wake, busy, sched) < 0 || created === NONE)
      return false;
    if (start === SAME) return false;
    // One-sample histograms are kept inline only when they equal the totals (they do for one
    // poll); anything else keeps its own value in the wide form.
    let schedOne = false;
    if (t.pollHist === undefined) {
      if (Number.isNaN(t.pollOne) ? t.polls !== 0 : t.polls !== 1 || t.pollOne !== busy)
        return false;
    }
    if (t.schedHist === undefined && !Number.isNaN(t.schedOne)) {
      if (t.schedOne !== sched) return false;
      schedOne = true;
    }
    if (
      t.polls > U8_MAX ||
      t.wakes > U8_MAX ||
      t.wakerClones > U8_MAX ||
      t.wakerDrops > U8_MAX ||
      t.selfWakes > U8_MAX ||
      t.longPolls > U8_MAX
    )
      return false;
    const st = this.#statics.intern(t, tid >= 0);
    cols.dropped[r] = d;
    const i = r * I32;
    cols.i[i + ID] = idDelta;
    cols.i[i + TID] = tid >= 0 ? tid - c.baseTid : NO_TID;
    const u = cols.u;
    const o = r * U32;
    u[o + CREATED] = created;
    u[o + FIRST_POLL] = first;
    if (start !== first) {
      if (cols.lastStart === undefined) cols.lastStart = new Uint32Array(CHUNK).fill(SAME);
      cols.lastStart[r] = start;
    } else if (cols.lastStart !== undefined) cols.lastStart[r] = SAME;
    u[o + LAST_END] = end;
    u[o + LAST_WAKE] = wake;
    u[o + BUSY] = busy;
    u[o + SCHED] = sched;
    u[o + STATIC] = st;
    const s = cols.s;
    const q = r * U8;
    s[q + POLLS] = t.polls;
    s[q + WAKES] = t.wakes;
    s[q + CLONES] = t.wakerClones;
    s[q + DROPS] = t.wakerDrops;
    s[q + SELF_WAKES] = t.selfWakes;
    s[q + LONG_POLLS] = t.longPolls;
    if (schedOne) s[q + FLAGS] = (s[q + FLAGS] as number) | F_SCHED_ONE;
    return true;
  }

  /** Rebuilds a row as a (detached) TaskEntity, for an Update or task details. */
  #entity(c: Chunk, cols: Columns, r: number): TaskEntity {
    const wide = c.wide?.get(r);
    if (wide !== undefined) return wide;
    const u = cols.u;
    const o = r * U32;
    const s = cols.s;
    const q = r * U8;
    const info = this.#statics.get(u[o + STATIC] as number);
    const tidDelta = cols.i[r * I32 + TID] as number;
    const fields =
      tidDelta === NO_TID ? info.fields : { ...info.fields, "task.id": c.baseTid + tidDelta };
    const d = cols.dropped[r] as number;
    const at2 = (ns: number): number => (ns === NONE ? Number.NaN : d - ns / 1e6);
    const at = (col: number): number => at2(u[o + col] as number);
    const t = new TaskEntity(
      BigInt(c.baseId + (cols.i[r * I32 + ID] as number)),
      info.metaId,
      info.metadata,
      at(CREATED),
      fields,
      info.location,
    );
    t.dirty = false;
    t.unsent = false;
    t.droppedAt = d;
    t.firstPoll = at(FIRST_POLL);
    const start = cols.lastStart?.[r];
    t.lastPollStarted = start === undefined || start === SAME ? t.firstPoll : at2(start);
    t.lastPollEnded = at(LAST_END);
    t.lastWake = at(LAST_WAKE);
    const busy = u[o + BUSY] as number;
    const sched = u[o + SCHED] as number;
    t.busyMs = busy / 1e6;
    t.scheduledMs = sched / 1e6;
    t.polls = s[q + POLLS] as number;
    t.wakes = s[q + WAKES] as number;
    t.wakerClones = s[q + CLONES] as number;
    t.wakerDrops = s[q + DROPS] as number;
    t.selfWakes = s[q + SELF_WAKES] as number;
    const longPolls = s[q + LONG_POLLS] as number;
    if (longPolls > 0) t.longPolls = longPolls;
    const h = c.hists?.get(r);
    if (h !== undefined) {
      t.pollBytes = h[0];
      t.schedBytes = h[1];
    }
    if (h?.[0] === undefined && t.polls === 1) t.pollOne = busy;
    if (h?.[1] === undefined && ((s[q + FLAGS] as number) & F_SCHED_ONE) !== 0) t.schedOne = sched;
    return t;
  }

  *entities(): Iterable<TaskEntity> {
    // Packed chunks are decoded one after another into the same scratch columns.
    let scratch: Columns | undefined;
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Chunk;
      if (c.cols === undefined) scratch ??= newColumns(CHUNK, I32, U32, U8);
      const cols = read(c, scratch);
      for (let r = i === 0 ? this.#head : 0; r < c.n; r++) yield this.#entity(c, cols, r);
    }
  }

  /**
   * The rows added since the last call, each with whether it was never announced, and marks them
   * published: the aggregator sends them in the next delta.
   */
  *takeUnpublished(): Iterable<[TaskEntity, boolean]> {
    let left = Math.min(this.#unpublished, this.#size);
    this.#unpublished = 0;
    for (let i = this.#chunks.length - 1; i >= 0 && left > 0; i--) {
      const c = this.#chunks[i] as Chunk;
      const cols = open(c);
      const from = Math.max(i === 0 ? this.#head : 0, c.n - left);
      left -= c.n - from;
      for (let r = from; r < c.n; r++) {
        const q = r * U8 + FLAGS;
        const unsent = ((cols.s[q] as number) & F_UNSENT) !== 0;
        cols.s[q] = (cols.s[q] as number) & ~F_UNSENT;
        yield [this.#entity(c, cols, r), unsent];
      }
    }
    this.#packPublished();
  }

  /** With nobody consuming deltas: the rows added since the last delta count as announced. */
  discardUnpublished(): void {
    let left = Math.min(this.#unpublished, this.#size);
    this.#unpublished = 0;
    for (let i = this.#chunks.length - 1; i >= 0 && left > 0; i--) {
      const c = this.#chunks[i] as Chunk;
      const s = open(c).s;
      const from = Math.max(i === 0 ? this.#head : 0, c.n - left);
      left -= c.n - from;
      for (let r = from; r < c.n; r++)
        s[r * U8 + FLAGS] = (s[r * U8 + FLAGS] as number) & ~F_UNSENT;
    }
    this.#packPublished();
  }

  /**
   * Packs the full chunks once every row in them is published (their rows change no more), but
   * for a first chunk that expiry has begun to read row by row.
   */
  #packPublished(): void {
    if (this.#unpublished !== 0) return;
    for (let i = this.#head > 0 ? 1 : 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Chunk;
      const cols = c.cols;
      if (cols === undefined || c.n < CHUNK) continue;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let r = 0; r < c.n; r++) {
        if (((cols.s[r * U8 + FLAGS] as number) & F_WIDE) !== 0) continue;
        const id = cols.i[r * I32 + ID] as number;
        if (id < min) min = id;
        if (id > max) max = id;
      }
      c.packed = pack(cols, c.n, c.dropBase, WIDTHS);
      c.minId = min;
      c.maxId = max;
      c.cols = undefined;
    }
  }

  /** A frozen task by span id (a scan: only task-details requests for completed tasks ask). */
  find(id: bigint): TaskEntity | undefined {
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Chunk;
      const from = i === 0 ? this.#head : 0;
      if (c.wide !== undefined) for (const [r, t] of c.wide) if (r >= from && t.id === id) return t;
      const want = exact(id) - c.baseId;
      if (!(want >= -0x7fffffff && want <= 0x7fffffff)) continue;
      if (c.cols === undefined && !(want >= c.minId && want <= c.maxId)) continue;
      const cols = read(c);
      for (let r = from; r < c.n; r++) {
        if (cols.i[r * I32 + ID] !== want) continue;
        if (((cols.s[r * U8 + FLAGS] as number) & F_WIDE) !== 0) continue;
        return this.#entity(c, cols, r);
      }
    }
    return undefined;
  }

  /**
   * Forgets rows completed more than `retentionMs` before `now`, and the oldest beyond `maxRows`;
   * with `keepUnpublished`, rows not yet sent in a delta stay (their dropped_at goes out first,
   * as upstream).
   */
  expire(now: number, retentionMs: number, keepUnpublished: boolean, maxRows = Infinity): void {
    for (;;) {
      const c = this.#chunks[0];
      if (c === undefined) return;
      if (this.#head >= c.n) {
        if (c.n < CHUNK) return; // the chunk still being filled
        this.#chunks.shift();
        this.#head = 0;
        continue;
      }
      if (keepUnpublished && this.#size <= this.#unpublished) return;
      // A packed chunk is opened only once its first row is due.
      const over = this.#size > maxRows;
      if (c.cols === undefined && now - c.dropBase <= retentionMs && !over) return;
      const cols = open(c);
      const dropped = cols.dropped[this.#head] as number;
      if (now - dropped <= retentionMs && !over) return;
      if (((cols.s[this.#head * U8 + FLAGS] as number) & F_WIDE) !== 0) c.wide?.delete(this.#head);
      else this.#statics.release(cols.u[this.#head * U32 + STATIC] as number);
      c.hists?.delete(this.#head);
      this.#head++;
      this.#size--;
      if (this.#unpublished > this.#size) this.#unpublished = this.#size;
    }
  }

  /** Bytes held by the rows' columns, open and packed (histograms and wide rows aside). */
  get columnBytes(): number {
    let n = 0;
    for (const c of this.#chunks) {
      const open = c.cols;
      n += open === undefined ? (c.packed?.byteLength ?? 0) : CHUNK * ROW_BYTES;
      n += open?.lastStart?.byteLength ?? 0;
    }
    return n;
  }
}

/** A chunk's columns to read: its own, or decoded from its packed form (left packed). */
function read(c: Chunk, into?: Columns): Columns {
  return c.cols ?? unpack(c.packed as Uint8Array, c.dropBase, c.n, CHUNK, WIDTHS, into);
}

/** A chunk's columns to write: a packed chunk is opened for good. */
function open(c: Chunk): Columns {
  if (c.cols === undefined) {
    c.cols = read(c);
    c.packed = undefined;
  }
  return c.cols;
}
