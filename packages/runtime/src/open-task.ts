// Tasks that are not a function: work Node starts on its own (a connection, an HTTP request) made
// a task from the outside, entered where its work begins and finished when it ends.
import { type Fields, type FieldValue, Span } from "@periscope/tracing";
import { SPAWN } from "./callsites.ts";
import { finishTask, wake, waker } from "./poll-emit.ts";
import { ensurePolls } from "./polls.ts";
import { bindResource, switchSlice } from "./slices.ts";
import { nextTaskId, Task } from "./task-state.ts";

export interface OpenTaskOptions {
  /** Shown as `task.name` (tokio-console shows it too); may be renamed with record(). */
  name: string;
  /** Extra fields on the task span. */
  fields?: Fields;
  /** A task this one belongs to: its span is the new span's parent (e.g. a connection's). */
  parent?: OpenTask | undefined;
}

/** A task opened by instrumentation rather than spawn(): see openTask(). */
export class OpenTask {
  readonly #task: Task;

  constructor(task: Task) {
    this.#task = task;
  }

  /** The task's id (as JoinHandle.id). */
  get id(): bigint {
    return this.#task.id;
  }

  /** The task span (runtime.spawn); Span.none() when nobody records tasks. */
  get span(): Span {
    return this.#task.span;
  }

  get isFinished(): boolean {
    return this.#task.done;
  }

  /**
   * From here to the end of the current callback the code runs as this task: it is this task's
   * poll, and what it awaits or schedules carries the task's context (its later polls).
   */
  enter(): void {
    switchSlice(this.#task);
  }

  /** Callbacks of this async resource (a parser, a handle) that run outside any task are its polls. */
  bind(resource: object): void {
    if (this.#task.spanId !== undefined) bindResource(resource, this.#task);
  }

  /** Records fields on the task span (e.g. a route learnt after routing, a status when done). */
  record(fields: Record<string, FieldValue>): void {
    if (this.#task.spanId !== undefined && !this.#task.done) this.#task.span.recordAll(fields);
  }

  /** The task is done: its span closes now, or once its poll in progress ends. */
  finish(): void {
    finishTask(this.#task);
  }
}

/** Opens a task for work that is not a spawned function; finish() it when the work ends. */
export function openTask(opts: OpenTaskOptions): OpenTask {
  const id = nextTaskId();
  let span = Span.none();
  if (SPAWN.enabled()) {
    const parent = opts.parent?.span;
    span = SPAWN.span(
      { ...opts.fields, kind: "task", "task.name": opts.name, "task.id": id },
      parent !== undefined && parent.id !== undefined ? parent : null,
    );
    if (span.id !== undefined) ensurePolls();
  }
  const task = new Task(id, opts.name, span, false);
  if (task.spanId !== undefined) {
    waker(task, "waker.clone");
    wake(task);
  }
  return new OpenTask(task);
}
