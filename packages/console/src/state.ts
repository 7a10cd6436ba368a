// The console's state: applies console-api Updates and TaskDetails to maps of tasks, resources
// and async ops, keeps completed ones for --retain-for, and lints tasks after every update.
import type {
  AsyncOpUpdate,
  ResourceUpdate,
  TaskDetails as TaskDetailsMsg,
  TaskStats,
  TaskUpdate,
  Timestamp,
  Update,
} from "@periscope/console-api";
import {
  applyAsyncOpStats,
  applyResourceStats,
  durNs,
  newAsyncOp,
  newResource,
} from "./entity-decode.ts";
import { decodeField, formatLocation, type Meta } from "./fields.ts";
import { decodeHistogram } from "./histogram.ts";
import { LintTracker } from "./lint-summary.ts";
import type { LintContext } from "./lints.ts";
import { readLoopHealth, readServerWarnings } from "./loop-health.ts";
import type {
  AsyncOp,
  LintId,
  LoopHealth,
  Resource,
  ServerWarnings,
  Task,
  TaskDetails,
} from "./model.ts";
import {
  lintResource,
  type ResourceLintId,
  type ResourceTrack,
  trackResource,
} from "./resource-lints.ts";
import { sanitize } from "./sanitize.ts";

export interface StateOptions {
  /** How long completed tasks, resources and ops stay listed, in ns (tokio-console: 6 s). */
  retainForNs?: number;
  lints?: readonly LintId[];
}

export const DEFAULT_RETAIN_NS = 6e9;

function num(v: bigint | number | undefined): number {
  return v === undefined ? 0 : Number(v);
}

export class ConsoleState {
  readonly tasks = new Map<bigint, Task>();
  /** Counts tasks added to and removed from `tasks`, so a sorted list can tell it is still whole. */
  taskSetVersion = 0;
  readonly resources = new Map<bigint, Resource>();
  readonly asyncOps = new Map<bigint, AsyncOp>();
  readonly metas = new Map<bigint, Meta>();
  retainForNs: number;
  lints: readonly LintId[];
  /** Server time of the last update, ns since the epoch below. */
  now = 0;
  updates = 0;
  /** Bumped on every change: views cache sorted rows against it. */
  version = 0;
  droppedEvents = 0;
  tracksWakers = false;
  details: TaskDetails | undefined;
  loop: LoopHealth | undefined;
  serverWarnings: ServerWarnings | undefined;
  lintCounts = new Map<LintId, number>();
  /** One task per lint for the warnings pane to name: the worst long poll, else the oldest. */
  lintExamples = new Map<LintId, Task>();
  /** What the resource lints remember, and their verdicts after the last update. */
  readonly resourceTracks = new Map<bigint, ResourceTrack>();
  resourceLints: Array<{ id: ResourceLintId; resource: Resource }> = [];
  /** The task whose details are open: kept past --retain-for until the user leaves it. */
  pinned: bigint | undefined;
  #epochSeconds: bigint | undefined;
  /** Tasks whose stats changed since the last lint pass. */
  /** Set once any task has completed: until then retain() has no task to look at. */
  #anyDone = false;
  #changed = new Set<Task>();
  #lintedWithWakers = false;
  readonly #linted = new LintTracker();
  #taskSeq = 0;
  #resourceSeq = 0;
  #opSeq = 0;

  constructor(opts: StateOptions = {}) {
    this.retainForNs = opts.retainForNs ?? DEFAULT_RETAIN_NS;
    this.lints = opts.lints ?? [];
  }

  /**
   * A wire timestamp as ns since the first one seen: a plain number that stays exact for
   * 104 days, where epoch nanoseconds would not fit a double.
   */
  rel(t: Timestamp | undefined): number | undefined {
    if (!t) return undefined;
    if (this.#epochSeconds === undefined) this.#epochSeconds = t.seconds;
    return Number(t.seconds - this.#epochSeconds) * 1e9 + t.nanos;
  }

  apply(update: Update): void {
    const now = this.rel(update.now);
    if (now !== undefined) this.now = now;
    for (const m of update.newMetadata?.metadata ?? []) {
      if (!m.id || !m.metadata) continue;
      this.metas.set(m.id.id, {
        name: sanitize(m.metadata.name),
        target: sanitize(m.metadata.target),
        fieldNames: m.metadata.fieldNames.map(sanitize),
      });
    }
    if (update.taskUpdate) this.#applyTasks(update.taskUpdate);
    if (update.resourceUpdate) this.#applyResources(update.resourceUpdate);
    if (update.asyncOpUpdate) this.#applyAsyncOps(update.asyncOpUpdate);
    this.loop = readLoopHealth(this.resources.values()) ?? this.loop;
    this.serverWarnings = readServerWarnings(this.resources.values()) ?? this.serverWarnings;
    // The server timed these polls exactly; they settle the task's long-poll lint.
    for (const p of [this.serverWarnings?.last, this.serverWarnings?.worst]) {
      const t = p?.taskSpanId === undefined ? undefined : this.tasks.get(p.taskSpanId);
      if (t && p && p.durationNs > t.longestPollAtLeast) {
        t.longestPollAtLeast = p.durationNs;
        this.#changed.add(t);
      }
    }
    this.retain();
    this.#lintAll();
    this.#lintResources();
    this.updates++;
    this.version++;
  }

  #applyTasks(u: TaskUpdate): void {
    for (const t of u.newTasks) {
      if (!t.id) continue;
      // A task announced again carries new fields (a request's route, its status once done):
      // its description is replaced, its stats kept.
      const known = this.tasks.get(t.id.id);
      const meta = t.metadata ? this.metas.get(t.metadata.id) : undefined;
      const task: Task = {
        spanId: t.id.id,
        seq: known?.seq ?? ++this.#taskSeq,
        idText: "",
        name: "",
        kind: t.kind === 1 ? "blocking" : "task",
        target: meta?.target ?? "",
        location: formatLocation(t.location),
        fields: [],
        fieldsText: "",
        parents: t.parents.map((p) => p.id),
        sizeBytes: undefined,
        originalSizeBytes: undefined,
        createdAt: this.now,
        droppedAt: undefined,
        busy: 0,
        scheduled: 0,
        polls: 0,
        firstPoll: undefined,
        lastPollStarted: undefined,
        lastPollEnded: undefined,
        lastWake: undefined,
        wakes: 0,
        wakerClones: 0,
        wakerDrops: 0,
        selfWakes: 0,
        longestPollAtLeast: 0,
        warnings: [],
        search: "",
      };
      let locFile = "";
      let locLine = "";
      let locCol = "";
      for (const f of t.fields) {
        const d = decodeField(f, this.metas);
        if (!d) continue;
        switch (d.name) {
          case "task.name":
            task.name = String(d.value);
            continue;
          case "task.id":
            task.idText = String(d.value);
            continue;
          case "kind":
            task.kind = String(d.value);
            continue;
          case "loc.file":
            locFile = String(d.value);
            continue;
          case "loc.line":
            locLine = String(d.value);
            continue;
          case "loc.col":
            locCol = String(d.value);
            continue;
          case "spawn.location":
            if (!task.location) task.location = String(d.value);
            continue;
          case "size.bytes":
            task.sizeBytes = Number(d.value);
            break;
          case "original_size.bytes":
            task.originalSizeBytes = Number(d.value);
            break;
        }
        task.fields.push(d.text);
      }
      if (!task.location && locFile) {
        task.location = [locFile, locLine, locCol].filter(Boolean).join(":");
      }
      if (task.target) task.fields.push(`target=${task.target}`);
      task.idText ||= String(task.seq);
      task.fieldsText = task.fields.join(" ");
      task.search = `${task.name} ${task.fieldsText} ${task.location} ${task.kind}`.toLowerCase();
      if (known !== undefined) {
        known.name = task.name;
        known.kind = task.kind;
        known.fields = task.fields;
        known.fieldsText = task.fieldsText;
        known.search = task.search;
        if (task.location) known.location = task.location;
        this.#changed.add(known);
        continue;
      }
      this.tasks.set(task.spanId, task);
      this.taskSetVersion++;
      this.#changed.add(task);
    }
    for (const [id, stats] of u.statsUpdate) {
      const task = this.tasks.get(id);
      if (task) {
        this.#taskStats(task, stats);
        this.#changed.add(task);
      }
    }
    this.droppedEvents += num(u.droppedEvents);
  }

  #taskStats(t: Task, s: TaskStats): void {
    const ps = s.pollStats;
    const prevCompleted = completedPolls(t);
    const prevBusy = t.busy;
    t.createdAt = this.rel(s.createdAt) ?? t.createdAt;
    t.droppedAt = this.rel(s.droppedAt);
    if (t.droppedAt !== undefined) this.#anyDone = true;
    t.wakes = num(s.wakes);
    t.wakerClones = num(s.wakerClones);
    t.wakerDrops = num(s.wakerDrops);
    t.selfWakes = num(s.selfWakes);
    t.lastWake = this.rel(s.lastWake);
    t.scheduled = durNs(s.scheduledTime);
    if (t.wakerClones > 0) this.tracksWakers = true;
    if (ps) {
      t.polls = num(ps.polls);
      t.busy = durNs(ps.busyTime);
      t.firstPoll = this.rel(ps.firstPoll);
      t.lastPollStarted = this.rel(ps.lastPollStarted);
      t.lastPollEnded = this.rel(ps.lastPollEnded);
    }
    // If n polls finished and busy grew by b, at least one of them took b / n or longer. Not for
    // the root: its start-up (module loading) would read as a long poll; the server times its
    // polls exactly and reports the ones that count.
    const done = completedPolls(t) - prevCompleted;
    if (done > 0 && t.kind !== "root") {
      t.longestPollAtLeast = Math.max(t.longestPollAtLeast, (t.busy - prevBusy) / done);
    }
  }

  #applyResources(u: ResourceUpdate): void {
    for (const r of u.newResources) {
      if (!r.id || this.resources.has(r.id.id)) continue;
      const res = newResource(r, this.metas, ++this.#resourceSeq, this.now);
      this.resources.set(res.spanId, res);
    }
    for (const [id, s] of u.statsUpdate) {
      const res = this.resources.get(id);
      if (!res) continue;
      applyResourceStats(res, s, this.metas, (t) => this.rel(t));
      this.resourceTracks.set(id, trackResource(res, this.resourceTracks.get(id), this.now));
    }
    this.droppedEvents += num(u.droppedEvents);
  }

  #applyAsyncOps(u: AsyncOpUpdate): void {
    for (const o of u.newAsyncOps) {
      if (!o.id || this.asyncOps.has(o.id.id)) continue;
      this.asyncOps.set(o.id.id, newAsyncOp(o, ++this.#opSeq, this.now));
    }
    for (const [id, s] of u.statsUpdate) {
      const op = this.asyncOps.get(id);
      if (!op) continue;
      applyAsyncOpStats(op, s, this.metas, (t) => this.rel(t));
    }
    this.droppedEvents += num(u.droppedEvents);
  }

  /** Stores a WatchTaskDetails message; histograms that fail to decode are left out. */
  applyDetails(d: TaskDetailsMsg): void {
    if (!d.taskId) return;
    const poll =
      d.histogram ?? (d.legacyHistogram ? { rawHistogram: d.legacyHistogram } : undefined);
    const details: TaskDetails = {
      spanId: d.taskId.id,
      pollTimes: poll ? decodeHistogram(poll) : undefined,
      scheduledTimes: d.scheduledTimesHistogram
        ? decodeHistogram(d.scheduledTimesHistogram)
        : undefined,
    };
    this.details = details;
    const task = this.tasks.get(details.spanId);
    if (task && details.pollTimes && task.kind !== "root") {
      task.longestPollAtLeast = Math.max(task.longestPollAtLeast, details.pollTimes.max);
      this.#changed.add(task);
      this.#lintAll();
    }
    this.version++;
  }

  /** Forgets what completed longer than --retain-for ago (by server time). */
  retain(): void {
    const horizon = this.now - this.retainForNs;
    // Values, not entries: an entry array per task per update is most of what this costs; and
    // none of it until some task has completed.
    if (this.#anyDone)
      for (const t of this.tasks.values()) {
        if (t.droppedAt !== undefined && t.droppedAt < horizon && t.spanId !== this.pinned) {
          this.tasks.delete(t.spanId);
          this.taskSetVersion++;
        }
      }
    for (const [id, r] of this.resources) {
      if (r.droppedAt !== undefined && r.droppedAt < horizon) this.resources.delete(id);
    }
    for (const [id, o] of this.asyncOps) {
      if (o.droppedAt !== undefined && o.droppedAt < horizon) this.asyncOps.delete(id);
    }
  }

  #lintResources(): void {
    const out: Array<{ id: ResourceLintId; resource: Resource }> = [];
    for (const [id, t] of this.resourceTracks) {
      const r = this.resources.get(id);
      if (r === undefined) {
        this.resourceTracks.delete(id);
        continue;
      }
      for (const l of lintResource(r, t, this.lints, this.now)) out.push({ id: l, resource: r });
    }
    this.resourceLints = out;
  }

  lintContext(): LintContext {
    return { now: this.now, tracksWakers: this.tracksWakers };
  }

  /** Lints what can have changed; everything when the server first shows it tracks wakers. */
  #lintAll(): void {
    const cx = this.lintContext();
    const all = cx.tracksWakers !== this.#lintedWithWakers;
    this.#lintedWithWakers = cx.tracksWakers;
    const tasks = this.tasks;
    const { counts, examples } = this.#linted.update(
      tasks.values(),
      (t) => tasks.get(t.spanId) === t,
      this.#changed,
      all,
      this.lints,
      cx,
    );
    this.#changed.clear();
    this.lintCounts = counts;
    this.lintExamples = examples;
  }
}

function completedPolls(t: Task): number {
  const inPoll =
    t.lastPollStarted !== undefined &&
    (t.lastPollEnded === undefined || t.lastPollStarted > t.lastPollEnded);
  return t.polls - (inPoll ? 1 : 0);
}
