// The console without a terminal: state, UI and rows together, keys in and frames out. The app
// wires it to a tty and a data source; tests and the benchmark drive it directly.
import type { TaskDetails, Update } from "@periscope/console-api";
import type { Key } from "./keys.ts";
import { RowCache } from "./rows.ts";
import { ConsoleState, type StateOptions } from "./state.ts";
import { type StyleOptions, Styles } from "./styles.ts";
import { type Effect, type KeyContext, Ui } from "./ui.ts";
import { renderFrame } from "./views/frame.ts";
import type { Scene, Status } from "./views/scene.ts";

export interface ConsoleOptions extends StateOptions, Partial<StyleOptions> {
  source?: string;
  replay?: boolean;
}

export class Console implements Scene {
  state: ConsoleState;
  readonly ui = new Ui();
  readonly rows = new RowCache();
  readonly styles: Styles;
  status: Status;
  readonly replay: boolean;
  readonly #stateOptions: StateOptions;

  constructor(opts: ConsoleOptions = {}) {
    this.#stateOptions = { retainForNs: opts.retainForNs, lints: opts.lints };
    this.state = new ConsoleState(this.#stateOptions);
    this.styles = new Styles({
      colors: opts.colors ?? true,
      ascii: opts.ascii ?? false,
      attributes: opts.attributes,
      palette: opts.palette,
      durationColors: opts.durationColors,
      terminatedColors: opts.terminatedColors,
    });
    this.replay = opts.replay ?? false;
    this.status = {
      source: opts.source ?? "",
      state: this.replay ? "replay" : "connecting",
      detail: "",
    };
  }

  /** Starts over with empty state (a new connection, or a replay seeking backwards). */
  reset(): void {
    const pinned = this.state.pinned;
    this.state = new ConsoleState(this.#stateOptions);
    this.state.pinned = pinned;
  }

  apply(update: Update): void {
    this.state.apply(update);
  }

  applyDetails(details: TaskDetails): void {
    if (this.ui.view === "task" && details.taskId?.id === this.ui.task) {
      this.state.applyDetails(details);
    }
  }

  keyContext(): KeyContext {
    const { state, ui, styles } = this;
    const tasks = () => this.rows.tasks(state, ui.tasks, ui.filter, ui.tree, styles.sym);
    const resources = () => this.rows.resources(state, ui.resources, ui.filter);
    const ops = () =>
      ui.resource === undefined ? [] : this.rows.asyncOps(state, ui.resource, ui.ops);
    return {
      taskCount: tasks().length,
      resourceCount: resources().length,
      opCount: ops().length,
      taskAt: (i) => tasks()[i]?.task.spanId,
      resourceAt: (i) => resources()[i]?.spanId,
      opTaskAt: (i) => ops()[i]?.taskSpanId,
      replay: this.replay,
    };
  }

  key(k: Key): Effect[] {
    const effects = this.ui.key(k, this.keyContext());
    // A task whose details are open stays until the user leaves it, however long ago it ended.
    this.state.pinned = this.ui.view === "task" ? this.ui.task : undefined;
    return effects;
  }

  frame(width: number, height: number): string[] {
    return renderFrame(this, width, height);
  }
}
