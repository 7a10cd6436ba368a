// Sorted, filtered (and for tasks optionally tree-ordered) rows, cached per state version so
// moving the cursor never re-sorts 10,000 tasks; only a new update or a new sort does.
import type { AsyncOp, Resource, Task } from "./model.ts";
import type { ConsoleState } from "./state.ts";
import {
  busyAt,
  idleAt,
  opBusyAt,
  opIdleAt,
  opTotalAt,
  scheduledAt,
  stateAt,
  totalAt,
} from "./task-math.ts";

export interface TableSort {
  column: number;
  descending: boolean;
}

export interface TaskRow {
  task: Task;
  /** Tree prefix for the Name column ("" outside tree mode). */
  prefix: string;
}

type Key = number | string;

const STATE_ORDER = { running: 0, scheduled: 1, idle: 2, done: 3 } as const;

function taskKey(t: Task, column: number, now: number): Key {
  switch (column) {
    case 0:
      return t.warnings.length;
    case 1: {
      // The runtime's task id when it sends one: arrival order (seq) is not id order in a snapshot.
      const n = Number(t.idText);
      return Number.isFinite(n) ? n : t.seq;
    }
    case 2:
      return STATE_ORDER[stateAt(t, now)];
    case 3:
      return t.name;
    case 4:
      return totalAt(t, now);
    case 5:
      return busyAt(t, now);
    case 6:
      return scheduledAt(t, now);
    case 7:
      return idleAt(t, now);
    case 8:
      return t.polls;
    case 9:
      return t.kind;
    case 10:
      return t.location;
    default:
      return t.fieldsText;
  }
}

function resourceKey(r: Resource, column: number, now: number): Key {
  switch (column) {
    case 0:
      return r.seq;
    case 1:
      return r.parentSpanId === undefined ? -1 : Number(r.parentSpanId);
    case 2:
      return r.kind;
    case 3:
      return (r.droppedAt ?? now) - r.createdAt;
    case 4:
      return r.target;
    case 5:
      return r.concreteType;
    case 6:
      return r.visibility;
    case 7:
      return r.location;
    default:
      return r.attributesText;
  }
}

function opKey(o: AsyncOp, column: number, now: number): Key {
  switch (column) {
    case 0:
      return o.seq;
    case 1:
      return o.parentSpanId === undefined ? -1 : Number(o.parentSpanId);
    case 2:
      return o.taskSpanId === undefined ? -1 : Number(o.taskSpanId);
    case 3:
      return o.source;
    case 4:
      return opTotalAt(o, now);
    case 5:
      return opBusyAt(o, now);
    case 6:
      return opIdleAt(o, now);
    case 7:
      return o.polls;
    default:
      return o.attributesText;
  }
}

/** Sorts by precomputed keys; ties fall back to the sequential id so the order is stable. */
function sortBy<T>(
  items: T[],
  key: (x: T) => Key,
  descending: boolean,
  seq: (x: T) => number = (x) => (x as { seq: number }).seq,
): T[] {
  // Keys and positions in flat arrays rather than an object per row: this runs over every task
  // on each update, and the objects were a good part of the console's garbage.
  const n = items.length;
  const keys = new Array<Key>(n);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    keys[i] = key(items[i] as T);
    order[i] = i;
  }
  const dir = descending ? -1 : 1;
  order.sort((a, b) => {
    const ka = keys[a] as Key;
    const kb = keys[b] as Key;
    if (ka < kb) return -dir;
    if (ka > kb) return dir;
    return seq(items[a] as T) - seq(items[b] as T);
  });
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = items[order[i] as number] as T;
  return out;
}

/**
 * The resources a Periscope server uses to carry loop health and its long-poll warnings: the
 * header and the warnings pane show them, so the resources table leaves them out.
 */
export function isSynthetic(r: Resource): boolean {
  return r.concreteType === "node::EventLoop" || r.concreteType === "periscope::Warnings";
}

export function filterMatches(search: string, filter: string): boolean {
  return filter === "" || search.includes(filter.toLowerCase());
}

export class RowCache {
  #taskKey = "";
  /** The last sorted tasks, and the sort and filter they were sorted by. */
  #order: TaskRow[] = [];
  #orderKey = "";
  #orderState: ConsoleState | undefined;
  #orderSet = -1;
  #tasks: TaskRow[] = [];
  #resKey = "";
  #resources: Resource[] = [];
  #opKey = "";
  #ops: AsyncOp[] = [];

  tasks(state: ConsoleState, sort: TableSort, filter: string, tree: boolean, sym: TreeSymbols) {
    const k = `${state.version}|${sort.column}|${sort.descending}|${filter}|${tree}`;
    if (k === this.#taskKey) return this.#tasks;
    const f = filter.toLowerCase();
    // Rows, not tasks, are sorted: the rows of the last sort are reused as they are (a task is
    // updated in place), so an update allocates no row per task.
    const sorted = sortBy(
      this.#taskInput(state, f, `${sort.column}|${sort.descending}|${f}`),
      (r) => taskKey(r.task, sort.column, state.now),
      sort.descending,
      (r) => r.task.seq,
    );
    this.#order = sorted;
    this.#tasks = tree
      ? treeOrder(
          sorted.map((r) => r.task),
          sym,
        )
      : sorted;
    this.#taskKey = k;
    return this.#tasks;
  }

  /**
   * The rows to sort: with no filter and the same tasks as last time, in the last sorted order.
   * Between two updates few tasks move, and the sort (a merge sort that finds runs) then costs
   * about one comparison per task instead of n log n.
   */
  #taskInput(state: ConsoleState, f: string, key: string): TaskRow[] {
    const same =
      f === "" &&
      key === this.#orderKey &&
      state === this.#orderState &&
      state.taskSetVersion === this.#orderSet;
    this.#orderKey = key;
    this.#orderState = state;
    this.#orderSet = state.taskSetVersion;
    if (same) return this.#order;
    const out: TaskRow[] = [];
    for (const t of state.tasks.values())
      if (filterMatches(t.search, f)) out.push({ task: t, prefix: "" });
    return out;
  }

  resources(state: ConsoleState, sort: TableSort, filter: string): Resource[] {
    const k = `${state.version}|${sort.column}|${sort.descending}|${filter}`;
    if (k === this.#resKey) return this.#resources;
    const f = filter.toLowerCase();
    const all = [...state.resources.values()].filter(
      (r) => !isSynthetic(r) && filterMatches(r.search, f),
    );
    this.#resources = sortBy(all, (r) => resourceKey(r, sort.column, state.now), sort.descending);
    this.#resKey = k;
    return this.#resources;
  }

  asyncOps(state: ConsoleState, resource: bigint, sort: TableSort): AsyncOp[] {
    const k = `${state.version}|${resource}|${sort.column}|${sort.descending}`;
    if (k === this.#opKey) return this.#ops;
    const all = [...state.asyncOps.values()].filter((o) => o.resourceSpanId === resource);
    this.#ops = sortBy(all, (o) => opKey(o, sort.column, state.now), sort.descending);
    this.#opKey = k;
    return this.#ops;
  }
}

export interface TreeSymbols {
  branch: string;
  last: string;
  pipe: string;
}

/**
 * Parent and child by spawn: a task's parent is the first of its spawn-time span parents that
 * is itself a task. Roots and siblings keep the current sort order.
 */
function treeOrder(sorted: Task[], sym: TreeSymbols): TaskRow[] {
  const present = new Set(sorted.map((t) => t.spanId));
  const children = new Map<bigint, Task[]>();
  const roots: Task[] = [];
  for (const t of sorted) {
    const parent = t.parents.find((p) => present.has(p) && p !== t.spanId);
    if (parent === undefined) roots.push(t);
    else {
      const list = children.get(parent);
      if (list) list.push(t);
      else children.set(parent, [t]);
    }
  }
  const out: TaskRow[] = [];
  const seen = new Set<bigint>();
  const walk = (t: Task, indent: string, self: string) => {
    if (seen.has(t.spanId)) return;
    seen.add(t.spanId);
    out.push({ task: t, prefix: self });
    const kids = children.get(t.spanId) ?? [];
    kids.forEach((c, i) => {
      const lastKid = i === kids.length - 1;
      walk(c, indent + (lastKid ? "  " : sym.pipe), indent + (lastKid ? sym.last : sym.branch));
    });
  };
  for (const r of roots) walk(r, "", "");
  // A parent cycle has no root: list what the walk could not reach rather than hide it.
  for (const t of sorted) if (!seen.has(t.spanId)) walk(t, "", "");
  return out;
}
