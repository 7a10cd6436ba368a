// Completed tasks waiting out their retention, stored as columns in typed-array chunks (about
// 140 bytes a task) instead of objects, so a million short tasks fit. Rows are in completion order.
import type { Fields, Metadata } from "@periscope/tracing";
import { type Loc, TaskEntity } from "./entities.ts";
import { asU64 } from "./fields.ts";

const CHUNK = 4096;
// Float64 columns.
const CREATED = 0;
const DROPPED = 1;
const FIRST_POLL = 2;
const LAST_START = 3;
const LAST_END = 4;
const LAST_WAKE = 5;
const BUSY = 6;
const SCHED = 7;
const TASK_ID = 8;
const POLL_ONE = 9;
const SCHED_ONE = 10;
const POLL_MAX_OUT = 11;
const SCHED_MAX_OUT = 12;
const F64 = 13;
// Uint32 columns.
const POLLS = 0;
const WAKES = 1;
const CLONES = 2;
const DROPS = 3;
const SELF_WAKES = 4;
const STATIC = 5;
const LONG_POLLS = 6;
const POLL_OUT = 7;
const SCHED_OUT = 8;
const U32 = 9;

/** What many tasks share: where and how they were spawned (all fields but task.id). */
interface StaticInfo {
  key: string;
  refs: number;
  metaId: bigint;
  metadata: Metadata;
  fields: Fields;
  location: Loc | undefined;
}

class Chunk {
  readonly ids = new BigUint64Array(CHUNK);
  readonly f = new Float64Array(CHUNK * F64);
  readonly u = new Uint32Array(CHUNK * U32);
  /** Histograms of tasks with more than one sample, by row. */
  hists: Map<number, [Uint8Array | undefined, Uint8Array | undefined]> | undefined;
  n = 0;
}

export class FrozenTasks {
  #chunks: Chunk[] = [];
  /** First live row of the first chunk. */
  #head = 0;
  #size = 0;
  readonly #statics: (StaticInfo | undefined)[] = [];
  readonly #byKey = new Map<string, number>();
  readonly #free: number[] = [];
  #unique = 0;
  #last: number | undefined;

  get size(): number {
    return this.#size;
  }

  add(t: TaskEntity): void {
    let c = this.#chunks[this.#chunks.length - 1];
    if (c === undefined || c.n === CHUNK) {
      c = new Chunk();
      this.#chunks.push(c);
    }
    const r = c.n++;
    this.#size++;
    c.ids[r] = t.id;
    const f = c.f;
    const o = r * F64;
    f[o + CREATED] = t.createdAt;
    f[o + DROPPED] = t.droppedAt;
    f[o + FIRST_POLL] = t.firstPoll;
    f[o + LAST_START] = t.lastPollStarted;
    f[o + LAST_END] = t.lastPollEnded;
    f[o + LAST_WAKE] = t.lastWake;
    f[o + BUSY] = t.busyMs;
    f[o + SCHED] = t.scheduledMs;
    const tid = asU64(t.fields["task.id"]);
    f[o + TASK_ID] =
      tid !== undefined && tid <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(tid) : Number.NaN;
    f[o + POLL_ONE] = t.pollOne;
    f[o + SCHED_ONE] = t.schedOne;
    f[o + POLL_MAX_OUT] = t.pollMaxOutlier;
    f[o + SCHED_MAX_OUT] = t.schedMaxOutlier;
    const u = c.u;
    const q = r * U32;
    u[q + POLLS] = t.polls;
    u[q + WAKES] = t.wakes;
    u[q + CLONES] = t.wakerClones;
    u[q + DROPS] = t.wakerDrops;
    u[q + SELF_WAKES] = t.selfWakes;
    u[q + STATIC] = this.#intern(t, !Number.isNaN(f[o + TASK_ID] as number));
    u[q + LONG_POLLS] = t.longPolls;
    u[q + POLL_OUT] = t.pollOutliers;
    u[q + SCHED_OUT] = t.schedOutliers;
    if (t.pollHist !== undefined || t.schedHist !== undefined) {
      c.hists ??= new Map();
      c.hists.set(r, [t.pollHist?.encodeV2(), t.schedHist?.encodeV2()]);
    }
  }

  #intern(t: TaskEntity, taskIdInColumn: boolean): number {
    // Fast path: the same static info as the previous task (a burst from one spawn site).
    const last = this.#last === undefined ? undefined : this.#statics[this.#last];
    if (last !== undefined && sameStatic(last, t, taskIdInColumn)) {
      last.refs++;
      return this.#last as number;
    }
    const idx = this.#internSlow(t, taskIdInColumn);
    this.#last = idx;
    return idx;
  }

  #internSlow(t: TaskEntity, taskIdInColumn: boolean): number {
    let key = `${t.metaId}`;
    let shareable = true;
    for (const k in t.fields) {
      if (k === "task.id" && taskIdInColumn) continue;
      const v = t.fields[k];
      const ty = typeof v;
      if (
        v === null ||
        ty === "string" ||
        ty === "number" ||
        ty === "bigint" ||
        ty === "boolean" ||
        ty === "undefined"
      )
        key += `\0${k}=${ty}:${String(v)}`;
      else shareable = false;
    }
    const l = t.location;
    if (l !== undefined) key += `\0@${l.file}:${l.line}:${l.column}`;
    if (!shareable) key = `\0unique${this.#unique++}`;
    const hit = this.#byKey.get(key);
    if (hit !== undefined) {
      (this.#statics[hit] as StaticInfo).refs++;
      return hit;
    }
    const fields: Fields = { ...t.fields };
    if (taskIdInColumn) delete fields["task.id"];
    const info: StaticInfo = {
      key,
      refs: 1,
      metaId: t.metaId,
      metadata: t.metadata,
      fields,
      location: l,
    };
    const idx = this.#free.pop() ?? this.#statics.length;
    this.#statics[idx] = info;
    this.#byKey.set(key, idx);
    return idx;
  }

  #release(idx: number): void {
    const info = this.#statics[idx];
    if (info === undefined || --info.refs > 0) return;
    this.#byKey.delete(info.key);
    this.#statics[idx] = undefined;
    this.#free.push(idx);
    if (this.#last === idx) this.#last = undefined;
  }

  /** Rebuilds a row as a (detached) TaskEntity, for a snapshot or task details. */
  #entity(c: Chunk, r: number): TaskEntity {
    const f = c.f;
    const o = r * F64;
    const u = c.u;
    const q = r * U32;
    const info = this.#statics[u[q + STATIC] as number] as StaticInfo;
    const tid = f[o + TASK_ID] as number;
    const fields = Number.isNaN(tid) ? info.fields : { ...info.fields, "task.id": tid };
    const t = new TaskEntity(
      c.ids[r] as bigint,
      info.metaId,
      info.metadata,
      f[o + CREATED] as number,
      fields,
      info.location,
    );
    t.dirty = false;
    t.unsent = false;
    t.droppedAt = f[o + DROPPED] as number;
    t.firstPoll = f[o + FIRST_POLL] as number;
    t.lastPollStarted = f[o + LAST_START] as number;
    t.lastPollEnded = f[o + LAST_END] as number;
    t.lastWake = f[o + LAST_WAKE] as number;
    t.busyMs = f[o + BUSY] as number;
    t.scheduledMs = f[o + SCHED] as number;
    t.pollOne = f[o + POLL_ONE] as number;
    t.schedOne = f[o + SCHED_ONE] as number;
    t.pollMaxOutlier = f[o + POLL_MAX_OUT] as number;
    t.schedMaxOutlier = f[o + SCHED_MAX_OUT] as number;
    t.polls = u[q + POLLS] as number;
    t.wakes = u[q + WAKES] as number;
    t.wakerClones = u[q + CLONES] as number;
    t.wakerDrops = u[q + DROPS] as number;
    t.selfWakes = u[q + SELF_WAKES] as number;
    t.longPolls = u[q + LONG_POLLS] as number;
    t.pollOutliers = u[q + POLL_OUT] as number;
    t.schedOutliers = u[q + SCHED_OUT] as number;
    const h = c.hists?.get(r);
    if (h !== undefined) {
      t.pollBytes = h[0];
      t.schedBytes = h[1];
    }
    return t;
  }

  *entities(): Iterable<TaskEntity> {
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Chunk;
      for (let r = i === 0 ? this.#head : 0; r < c.n; r++) yield this.#entity(c, r);
    }
  }

  /** A frozen task by span id (a scan: only task-details requests for completed tasks ask). */
  find(id: bigint): TaskEntity | undefined {
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as Chunk;
      const from = i === 0 ? this.#head : 0;
      const r = c.ids.subarray(from, c.n).indexOf(id);
      if (r >= 0) return this.#entity(c, from + r);
    }
    return undefined;
  }

  /** Forgets rows completed more than `retentionMs` before `now`. */
  expire(now: number, retentionMs: number): void {
    for (;;) {
      const c = this.#chunks[0];
      if (c === undefined) return;
      if (this.#head >= c.n) {
        if (c.n < CHUNK) return; // the chunk still being filled
        this.#chunks.shift();
        this.#head = 0;
        continue;
      }
      const dropped = c.f[this.#head * F64 + DROPPED] as number;
      if (now - dropped <= retentionMs) return;
      this.#release(c.u[this.#head * U32 + STATIC] as number);
      c.hists?.delete(this.#head);
      this.#head++;
      this.#size--;
    }
  }
}

function sameStatic(info: StaticInfo, t: TaskEntity, taskIdInColumn: boolean): boolean {
  if (info.metaId !== t.metaId) return false;
  const a = info.location;
  const b = t.location;
  if (a !== b && (a?.file !== b?.file || a?.line !== b?.line || a?.column !== b?.column))
    return false;
  if (info.key.startsWith("\0unique")) return false;
  let n = 0;
  for (const k in t.fields) {
    if (k === "task.id" && taskIdInColumn) continue;
    if (!(k in info.fields) || info.fields[k] !== t.fields[k]) return false;
    n++;
  }
  let m = 0;
  for (const _ in info.fields) m++;
  return n === m;
}
