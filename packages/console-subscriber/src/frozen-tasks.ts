// Completed tasks waiting out their retention, stored as columns in typed-array chunks (51 bytes a
// task, layout in frozen-chunk.ts) instead of objects, so a million short tasks fit; a full chunk
// whose rows have all been published is packed (frozen-pack.ts), to about 16 bytes a row. Rows are
// in completion order; what differs between rows of one spawn site goes in a blob (row-values.ts).
import type { FieldValue } from "@periscope/tracing";
import {
  BUSY,
  before,
  CHUNK,
  Chunk,
  CLONES,
  CREATED,
  DROPS,
  exact,
  F_POLL_HIST,
  F_SCHED_HIST,
  F_SCHED_ONE,
  F_UNSENT,
  F_WIDE,
  FIRST_POLL,
  FLAGS,
  HIST_ENTRY_BYTES,
  I32,
  ID,
  LAST_END,
  LAST_WAKE,
  LONG_POLLS,
  NO_PARENT,
  NO_TID,
  NONE,
  nsOf,
  onNs,
  open,
  PARENT,
  POLLS,
  read,
  SAME,
  SCHED,
  SELF_WAKES,
  STATIC,
  TID,
  U8,
  U8_MAX,
  U32,
  WAKES,
  WIDE_BYTES,
  WIDTHS,
} from "./frozen-chunk.ts";
import { type Columns, newColumns, pack } from "./frozen-pack.ts";
import { FrozenRows } from "./frozen-rows.ts";
import {
  Blob,
  differs,
  readHist,
  readValues,
  sameHeader,
  V2_HEADER,
  writeHist,
  writeValues,
} from "./row-values.ts";
import { TaskEntity } from "./task-entity.ts";

export class FrozenTasks extends FrozenRows {
  /** The V2 header every poll-time (scheduled-time) histogram here has, from the first one. */
  #pollHeader: Uint8Array | undefined;
  #schedHeader: Uint8Array | undefined;

  /** Stores a completed task; `unsent` when no delta has announced it yet. */
  add(t: TaskEntity, unsent: boolean): void {
    let c = this.chunks[this.chunks.length - 1];
    if (c === undefined || c.n === CHUNK) {
      c = new Chunk();
      c.baseId = exact(t.id);
      c.dropBase = t.droppedAt;
      this.chunks.push(c);
    }
    const r = c.n++;
    this.count++;
    this.unpublished++;
    const tid = smallTaskId(t.fields["task.id"]);
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
      c.heavy += WIDE_BYTES + (t.pollBytes?.length ?? 0) + (t.schedBytes?.length ?? 0);
      return;
    }
    this.#rest(c, cols, r, t);
    // The row holds all of it now.
    t.release();
  }

  /** Writes the row's differing values and its histograms to the chunk's blob. */
  #rest(c: Chunk, cols: Columns, r: number, t: TaskEntity): void {
    const info = this.statics.get(cols.u[r * U32 + STATIC] as number);
    const poll = t.pollHist?.encodeV2();
    const sched = t.schedHist?.encodeV2();
    this.#pollHeader ??= poll?.slice(0, V2_HEADER);
    this.#schedHeader ??= sched?.slice(0, V2_HEADER);
    // A histogram whose header is not the usual one (another layout) keeps its own bytes.
    const inline =
      (poll === undefined || sameHeader(poll, this.#pollHeader as Uint8Array)) &&
      (sched === undefined || sameHeader(sched, this.#schedHeader as Uint8Array));
    if (!inline) {
      c.hists ??= new Map();
      c.hists.set(r, [poll, sched]);
      c.heavy += HIST_ENTRY_BYTES + (poll?.length ?? 0) + (sched?.length ?? 0);
    }
    const hists = inline && (poll !== undefined || sched !== undefined);
    if (!hists && !differs(info, t.fields)) {
      if (cols.extra !== undefined) cols.extra[r] = 0;
      return;
    }
    c.blob ??= new Blob();
    cols.extra ??= new Uint32Array(CHUNK);
    cols.extra[r] = c.blob.n + 1;
    writeValues(c.blob, info, t.fields);
    if (!hists) return;
    const q = r * U8 + FLAGS;
    if (poll !== undefined) {
      writeHist(c.blob, poll);
      cols.s[q] = (cols.s[q] as number) | F_POLL_HIST;
    }
    if (sched !== undefined) {
      writeHist(c.blob, sched);
      cols.s[q] = (cols.s[q] as number) | F_SCHED_HIST;
    }
  }

  /** Writes the compact form of row r; false when the task does not fit it. */
  #compact(c: Chunk, cols: Columns, r: number, t: TaskEntity, tid: number): boolean {
    // Number arithmetic, not bigint: a bigint difference is an allocation per task.
    const idDelta = exact(t.id) - c.baseId;
    if (!(idDelta >= -0x7fffffff && idDelta <= 0x7fffffff)) return false;
    const parentDelta = t.parent === undefined ? NO_PARENT : exact(t.parent) - c.baseId;
    if (!(parentDelta === NO_PARENT || (parentDelta >= -0x7fffffff && parentDelta <= 0x7fffffff)))
      return false;
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
    const st = this.statics.intern(t, tid >= 0);
    if (st < 0) return false;
    cols.dropped[r] = d;
    const i = r * I32;
    cols.i[i + ID] = idDelta;
    cols.i[i + TID] = tid >= 0 ? tid - c.baseTid : NO_TID;
    cols.i[i + PARENT] = parentDelta;
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
    const info = this.statics.get(u[o + STATIC] as number);
    const tidDelta = cols.i[r * I32 + TID] as number;
    const extra = cols.extra?.[r] ?? 0;
    const flags = s[q + FLAGS] as number;
    let fields = info.fields;
    let rest = 0;
    if (extra !== 0) {
      fields = { ...info.fields };
      rest = readValues((c.blob as Blob).buf, extra - 1, info, fields);
    }
    if (tidDelta !== NO_TID) {
      if (fields === info.fields) fields = { ...info.fields };
      fields["task.id"] = c.baseTid + tidDelta;
    }
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
    const parentDelta = cols.i[r * I32 + PARENT] as number;
    if (parentDelta !== NO_PARENT) t.parent = BigInt(c.baseId + parentDelta);
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
    } else if ((flags & (F_POLL_HIST | F_SCHED_HIST)) !== 0) {
      const buf = (c.blob as Blob).buf;
      let poll: Uint8Array | undefined;
      let sched: Uint8Array | undefined;
      if ((flags & F_POLL_HIST) !== 0)
        [poll, rest] = readHist(buf, rest, this.#pollHeader as Uint8Array);
      if ((flags & F_SCHED_HIST) !== 0)
        [sched, rest] = readHist(buf, rest, this.#schedHeader as Uint8Array);
      t.pollBytes = poll;
      t.schedBytes = sched;
    }
    if (t.pollBytes === undefined && t.polls === 1) t.pollOne = busy;
    if (t.schedBytes === undefined && (flags & F_SCHED_ONE) !== 0) t.schedOne = sched;
    return t;
  }

  *entities(): Iterable<TaskEntity> {
    // Packed chunks are decoded one after another into the same scratch columns.
    let scratch: Columns | undefined;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i] as Chunk;
      if (c.cols === undefined) scratch ??= newColumns(CHUNK, I32, U32, U8);
      const cols = read(c, scratch);
      for (let r = i === 0 ? this.head : 0; r < c.n; r++) yield this.#entity(c, cols, r);
    }
  }

  /**
   * The rows added since the last call, each with whether it was never announced, and marks them
   * published: the aggregator sends them in the next delta.
   */
  *takeUnpublished(): Iterable<[TaskEntity, boolean]> {
    let left = Math.min(this.unpublished, this.count);
    this.unpublished = 0;
    for (let i = this.chunks.length - 1; i >= 0 && left > 0; i--) {
      const c = this.chunks[i] as Chunk;
      const cols = open(c);
      const from = Math.max(i === 0 ? this.head : 0, c.n - left);
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
    let left = Math.min(this.unpublished, this.count);
    this.unpublished = 0;
    for (let i = this.chunks.length - 1; i >= 0 && left > 0; i--) {
      const c = this.chunks[i] as Chunk;
      const s = open(c).s;
      const from = Math.max(i === 0 ? this.head : 0, c.n - left);
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
    if (this.unpublished !== 0) return;
    for (let i = this.head > 0 ? 1 : 0; i < this.chunks.length; i++) {
      const c = this.chunks[i] as Chunk;
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
      c.blob?.trim();
      c.minId = min;
      c.maxId = max;
      c.cols = undefined;
    }
  }

  /** A frozen task by span id (a scan: only task-details requests for completed tasks ask). */
  find(id: bigint): TaskEntity | undefined {
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i] as Chunk;
      const from = i === 0 ? this.head : 0;
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
}

/**
 * The task.id field when it is an integer in [0, 2^31), else -1 (the row keeps it in its values).
 * Without asU64's BigInt of a number: an allocation per frozen task.
 */
function smallTaskId(v: FieldValue | undefined): number {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 && v <= 0x7fffffff ? v : -1;
  if (typeof v === "bigint") return v >= 0n && v <= 0x7fffffffn ? Number(v) : -1;
  return -1;
}
