// A task as the console keeps it while it lives. Its times sit in a shared Float64Array pool, not in
// object fields: V8 boxes each double field in its own 16-byte heap number, ten per task, and a
// burst of short tasks in flight at a young-generation GC would carry them all into the old space.
import type { HdrHistogram } from "@periscope/console-api";
import type { Fields, Metadata } from "@periscope/tracing";
import type { EntityBase, Loc } from "./entities.ts";

// A task's doubles: monotonic ms (NaN: not yet), durations in ms, one-sample histograms in ns.
const CREATED = 0;
const DROPPED = 1;
const FIRST_POLL = 2;
const LAST_START = 3;
const LAST_END = 4;
const LAST_WAKE = 5;
const BUSY = 6;
const SCHED = 7;
const POLL_ONE = 8;
const SCHED_ONE = 9;
const SLOT = 10;
const PER_CHUNK = 1024;
/** A new task's doubles: nothing happened yet, no time spent. */
const FRESH = Float64Array.of(
  Number.NaN,
  Number.NaN,
  Number.NaN,
  Number.NaN,
  Number.NaN,
  Number.NaN,
  0,
  0,
  Number.NaN,
  Number.NaN,
);

/** Slots of a task's doubles in chunks of 1,024, reused through a free list. */
export class TaskSlots {
  readonly #chunks: Float64Array[] = [];
  readonly #free: number[] = [];
  #next = 0;

  /** Slots in use; for tests. */
  get inUse(): number {
    return this.#next - this.#free.length;
  }

  take(): number {
    const free = this.#free.pop();
    if (free !== undefined) return free;
    const slot = this.#next++;
    if (slot % PER_CHUNK === 0) this.#chunks.push(new Float64Array(PER_CHUNK * SLOT));
    return slot;
  }

  chunk(slot: number): Float64Array {
    return this.#chunks[Math.floor(slot / PER_CHUNK)] as Float64Array;
  }

  give(slot: number): void {
    this.#free.push(slot);
  }
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

/** What a released task reads from: every read is undefined and every write is dropped. */
const RELEASED = new Float64Array(0);

export class TaskEntity implements EntityBase {
  // On the prototype, not in every one of a million short tasks (see below the class).
  declare readonly kind: "task";
  readonly id: bigint;
  readonly metaId: bigint;
  readonly metadata: Metadata;
  /** Replaced (never mutated: it may be the span's own) when the span records more fields. */
  fields: Fields;
  readonly location: Loc | undefined;
  dirty = true;
  unsent = true;
  polls = 0;
  /** How many nested enters are in progress (a span re-entered while entered counts once). */
  current = 0;
  wakes = 0;
  wakerClones = 0;
  wakerDrops = 0;
  selfWakes = 0;
  /** The span id of the task that spawned this one (sent as Task.parents), if any but the root. */
  parent: bigint | undefined = undefined;
  /** The doubles: a pool chunk and this task's offset in it, or an array of its own. */
  #f: Float64Array;
  #o: number;
  #pool: TaskSlots | undefined;
  #slot = 0;
  /**
   * The fields most tasks never use, in one object made on first write: a live task is about
   * 70 bytes smaller, which matters when a burst of them outlives a young-generation GC.
   */
  #rare: TaskRare | undefined;

  /** With a pool, the task's doubles take one of its slots until release() or detach(). */
  constructor(
    id: bigint,
    metaId: bigint,
    metadata: Metadata,
    at: number,
    fields: Fields,
    location: Loc | undefined,
    pool?: TaskSlots,
  ) {
    this.id = id;
    this.metaId = metaId;
    this.metadata = metadata;
    this.fields = fields;
    this.location = location;
    if (pool === undefined) {
      this.#f = new Float64Array(SLOT);
      this.#o = 0;
    } else {
      this.#pool = pool;
      this.#slot = pool.take();
      this.#f = pool.chunk(this.#slot);
      this.#o = (this.#slot % PER_CHUNK) * SLOT;
    }
    const f = this.#f;
    const o = this.#o;
    f.set(FRESH, o);
    f[o + CREATED] = at;
  }

  /** Gives the pool slot back; the entity must not be used after (a frozen task's row replaces it). */
  release(): void {
    const pool = this.#pool;
    if (pool === undefined) return;
    this.#pool = undefined;
    pool.give(this.#slot);
    this.#f = RELEASED;
    this.#o = 0;
  }

  /** Moves the doubles out of the pool into an array of the entity's own, which it keeps. */
  detach(): void {
    const pool = this.#pool;
    if (pool === undefined) return;
    const own = this.#f.slice(this.#o, this.#o + SLOT);
    this.release();
    this.#f = own;
  }

  /**
   * A poll starts at `now`: returns the time it waited to be scheduled (ms, since its last wake
   * or the end of its last poll), or -1 for a nested enter or the root (run by the event loop,
   * never woken: the gaps between its polls are idle time). Works on the doubles in place: the
   * per-poll path, where a getter per field shows.
   */
  startPoll(now: number): number {
    if (this.current++ > 0) return -1;
    this.polls++;
    const f = this.#f;
    const o = this.#o;
    if (Number.isNaN(f[o + FIRST_POLL] as number)) f[o + FIRST_POLL] = now;
    f[o + LAST_START] = now;
    if (this.isRoot) return -1;
    // Scheduled time runs from the later of the last wake and the last poll's end.
    let since = f[o + LAST_END] as number;
    const wake = f[o + LAST_WAKE] as number;
    if (wake > since || Number.isNaN(since)) since = wake;
    return since >= 0 || since < 0 ? Math.max(0, now - since) : -1;
  }

  /** A poll ends at `now`: returns its duration in ms, or -1 when this exit ends no poll. */
  endPoll(now: number): number {
    if (this.current === 0) return -1;
    if (--this.current > 0) return -1;
    const f = this.#f;
    const o = this.#o;
    const ms = Math.max(0, now - (f[o + LAST_START] as number));
    f[o + LAST_END] = now;
    f[o + BUSY] = (f[o + BUSY] as number) + ms;
    return ms;
  }

  /** Monotonic ms. */
  get createdAt(): number {
    return this.#f[this.#o + CREATED] as number;
  }
  /** Monotonic ms, NaN while live. */
  get droppedAt(): number {
    return this.#f[this.#o + DROPPED] as number;
  }
  set droppedAt(v: number) {
    this.#f[this.#o + DROPPED] = v;
  }
  get firstPoll(): number {
    return this.#f[this.#o + FIRST_POLL] as number;
  }
  set firstPoll(v: number) {
    this.#f[this.#o + FIRST_POLL] = v;
  }
  get lastPollStarted(): number {
    return this.#f[this.#o + LAST_START] as number;
  }
  set lastPollStarted(v: number) {
    this.#f[this.#o + LAST_START] = v;
  }
  get lastPollEnded(): number {
    return this.#f[this.#o + LAST_END] as number;
  }
  set lastPollEnded(v: number) {
    this.#f[this.#o + LAST_END] = v;
  }
  get lastWake(): number {
    return this.#f[this.#o + LAST_WAKE] as number;
  }
  set lastWake(v: number) {
    this.#f[this.#o + LAST_WAKE] = v;
  }
  get busyMs(): number {
    return this.#f[this.#o + BUSY] as number;
  }
  set busyMs(v: number) {
    this.#f[this.#o + BUSY] = v;
  }
  get scheduledMs(): number {
    return this.#f[this.#o + SCHED] as number;
  }
  set scheduledMs(v: number) {
    this.#f[this.#o + SCHED] = v;
  }
  /** Poll and scheduled durations in ns. A short task has one sample, kept inline (NaN: none); */
  /** the histogram object appears with the second sample. */
  get pollOne(): number {
    return this.#f[this.#o + POLL_ONE] as number;
  }
  set pollOne(v: number) {
    this.#f[this.#o + POLL_ONE] = v;
  }
  get schedOne(): number {
    return this.#f[this.#o + SCHED_ONE] as number;
  }
  set schedOne(v: number) {
    this.#f[this.#o + SCHED_ONE] = v;
  }

  get blocking(): boolean {
    return this.fields.kind === "blocking";
  }
  /** The runtime's implicit root task: work outside tasks, never woken, never spawned. */
  get isRoot(): boolean {
    return this.fields.kind === "root";
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
