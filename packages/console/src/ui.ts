// What the user is looking at and how keys move it: views, sort, selection, filter, tree,
// pause and help. Keys return effects (watch a task's details, pause, seek, quit) for the app.
import { ASYNC_OP_COLUMNS, RESOURCE_COLUMNS, TASK_COLUMNS } from "./columns.ts";
import type { Key } from "./keys.ts";
import type { TableSort } from "./rows.ts";
import { sanitize } from "./sanitize.ts";

export type ViewName = "tasks" | "resources" | "task" | "resource";

export type Effect =
  | { kind: "quit" }
  | { kind: "watch-details"; spanId: bigint }
  | { kind: "unwatch-details" }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "seek"; deltaNs: number };

export class TableState implements TableSort {
  column: number;
  descending: boolean;
  selected = 0;
  /** First row shown; kept so the selection stays on screen. */
  offset = 0;
  readonly columns: number;
  /** Rows the last frame showed: PgUp/PgDn move by this. */
  page = 1;

  constructor(columns: number, column: number, descending: boolean) {
    this.columns = columns;
    this.column = column;
    this.descending = descending;
  }

  #rows: unknown;
  #anchor: bigint | undefined;

  /**
   * Keeps the selection on the same entity when an update re-sorts the rows, instead of on the
   * same row number; then clamps. Called by the view with the rows it is about to draw.
   */
  follow<T>(rows: readonly T[], idOf: (row: T) => bigint, page: number): void {
    if (rows !== this.#rows) {
      if (this.#anchor !== undefined) {
        const i = rows.findIndex((r) => idOf(r) === this.#anchor);
        if (i >= 0) this.selected = i;
      }
      this.#rows = rows;
    }
    this.clamp(rows.length, page);
    const row = rows[this.selected];
    this.#anchor = row === undefined ? undefined : idOf(row);
  }

  clamp(len: number, page: number): void {
    this.page = Math.max(1, page);
    if (len === 0) {
      this.selected = 0;
      this.offset = 0;
      return;
    }
    this.selected = Math.max(0, Math.min(this.selected, len - 1));
    const p = this.page;
    if (this.selected < this.offset) this.offset = this.selected;
    if (this.selected >= this.offset + p) this.offset = this.selected - p + 1;
    this.offset = Math.max(0, Math.min(this.offset, Math.max(0, len - p)));
  }
}

/** What the key handler needs to know about the rows currently listed. */
export interface KeyContext {
  taskCount: number;
  resourceCount: number;
  opCount: number;
  taskAt(i: number): bigint | undefined;
  resourceAt(i: number): bigint | undefined;
  /** The task that the i-th async op of the open resource belongs to. */
  opTaskAt(i: number): bigint | undefined;
  replay: boolean;
}

export const SEEK_STEP_NS = 10e9;

export class Ui {
  view: ViewName = "tasks";
  /** Where Esc goes back to from a task's details. */
  back: ViewName = "tasks";
  readonly tasks = new TableState(TASK_COLUMNS.length, 4, true);
  readonly resources = new TableState(RESOURCE_COLUMNS.length, 0, false);
  readonly ops = new TableState(ASYNC_OP_COLUMNS.length, 0, false);
  task: bigint | undefined;
  resource: bigint | undefined;
  help = false;
  filter = "";
  editingFilter = false;
  tree = false;
  paused = false;
  #lastG = false;

  table(): TableState {
    return this.view === "resources"
      ? this.resources
      : this.view === "resource"
        ? this.ops
        : this.tasks;
  }

  #count(cx: KeyContext): number {
    if (this.view === "resources") return cx.resourceCount;
    if (this.view === "resource") return cx.opCount;
    return cx.taskCount;
  }

  key(k: Key, cx: KeyContext): Effect[] {
    if (k.ctrl && (k.name === "c" || k.name === "d")) return [{ kind: "quit" }];
    if (this.editingFilter) return this.#filterKey(k);
    const wasG = this.#lastG;
    this.#lastG = false;
    if (this.help) {
      if (k.name === "?" || k.name === "escape") this.help = false;
      else if (k.name === "q") return [{ kind: "quit" }];
      return [];
    }
    switch (k.name) {
      case "q":
        return [{ kind: "quit" }];
      case "?":
        this.help = true;
        return [];
      case "t":
        return this.#open("tasks");
      case "r":
        return this.#open("resources");
      case "space":
        this.paused = !this.paused;
        return [{ kind: this.paused ? "pause" : "resume" }];
      case "[":
        return cx.replay ? [{ kind: "seek", deltaNs: -SEEK_STEP_NS }] : [];
      case "]":
        return cx.replay ? [{ kind: "seek", deltaNs: SEEK_STEP_NS }] : [];
    }
    if (this.view === "task") {
      if (k.name === "escape") return this.#open(this.back);
      return [];
    }
    if (this.view !== "resource") {
      if (k.name === "/") {
        this.editingFilter = true;
        return [];
      }
      if (k.name === "escape" && this.filter) {
        this.filter = "";
        return [];
      }
    }
    if (this.view === "tasks" && k.name === "T") {
      this.tree = !this.tree;
      return [];
    }
    if (this.view === "resource" && k.name === "escape") return this.#open("resources");
    const table = this.table();
    const len = this.#count(cx);
    switch (k.name) {
      case "left":
      case "h":
        table.column = (table.column + table.columns - 1) % table.columns;
        break;
      case "right":
      case "l":
        table.column = (table.column + 1) % table.columns;
        break;
      case "i":
        table.descending = !table.descending;
        break;
      case "down":
      case "j":
        table.selected = len === 0 ? 0 : (table.selected + 1) % len;
        break;
      case "up":
      case "k":
        table.selected = len === 0 ? 0 : (table.selected + len - 1) % len;
        break;
      case "pagedown":
        table.selected = Math.min(len - 1, table.selected + table.page);
        break;
      case "pageup":
        table.selected = Math.max(0, table.selected - table.page);
        break;
      case "G":
      case "end":
        table.selected = Math.max(0, len - 1);
        break;
      case "home":
        table.selected = 0;
        break;
      case "g":
        if (wasG) table.selected = 0;
        else this.#lastG = true;
        break;
      case "return":
        return this.#enter(cx);
    }
    table.clamp(len, table.page);
    return [];
  }

  #enter(cx: KeyContext): Effect[] {
    if (this.view === "tasks") {
      const id = cx.taskAt(this.tasks.selected);
      if (id === undefined) return [];
      return this.#openTask(id, "tasks");
    }
    if (this.view === "resources") {
      const id = cx.resourceAt(this.resources.selected);
      if (id === undefined) return [];
      this.resource = id;
      this.ops.selected = 0;
      this.ops.offset = 0;
      return this.#open("resource");
    }
    if (this.view === "resource") {
      const id = cx.opTaskAt(this.ops.selected);
      if (id === undefined) return [];
      return this.#openTask(id, "resource");
    }
    return [];
  }

  #openTask(id: bigint, back: ViewName): Effect[] {
    this.task = id;
    this.back = back;
    this.view = "task";
    return [{ kind: "watch-details", spanId: id }];
  }

  #open(view: ViewName): Effect[] {
    const leaving = this.view === "task" && view !== "task";
    this.view = view;
    return leaving ? [{ kind: "unwatch-details" }] : [];
  }

  #filterKey(k: Key): Effect[] {
    if (k.name === "return") this.editingFilter = false;
    else if (k.name === "escape") {
      this.editingFilter = false;
      this.filter = "";
    } else if (k.name === "backspace") this.filter = this.filter.slice(0, -1);
    else if (k.ch !== undefined && !k.ctrl && this.filter.length < 200)
      this.filter += sanitize(k.ch);
    this.tasks.selected = 0;
    this.resources.selected = 0;
    return [];
  }
}
