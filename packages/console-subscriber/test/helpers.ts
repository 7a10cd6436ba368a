// Test helpers: a tiny scripted "runtime" that emits tokio's runtime.* spans and events through
// @periscope/tracing (what @periscope/runtime will do), and a View that merges decoded Updates.
import {
  type AsyncOp,
  type AsyncOpStats,
  type Field,
  type Metadata,
  type PollOp,
  type Resource,
  type ResourceStats,
  type Task,
  type TaskStats,
  Update,
} from "@periscope/console-api";
import { callsite, Level, type Span } from "@periscope/tracing";

export const SPAWN = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::task",
  name: "runtime.spawn",
  fields: ["kind", "task.name", "task.id", "loc.file", "loc.line", "loc.col"],
});
export const WAKER = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::waker",
  name: "waker",
  fields: ["op", "task.id"],
});
export const RESOURCE = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "runtime::resource",
  name: "runtime.resource",
  fields: [
    "concrete_type",
    "kind",
    "is_internal",
    "inherits_child_attrs",
    "loc.file",
    "loc.line",
    "loc.col",
  ],
});
export const ASYNC_OP = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "runtime::resource",
  name: "runtime.resource.async_op",
  fields: ["source", "inherits_child_attrs"],
});
export const STATE = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::resource::state_update",
  name: "state_update",
  fields: ["locked", "locked.op", "permits", "permits.op", "permits.unit"],
});
export const POLL_OP = callsite({
  kind: "event",
  level: Level.TRACE,
  target: "runtime::resource::poll_op",
  name: "poll_op",
  fields: ["op_name", "is_ready"],
});

let nextTaskId = 1;

/** A task span as the runtime makes it: a root span with tokio's fields. */
export function taskSpan(name: string, line = 10): Span {
  return SPAWN.span(
    {
      kind: "task",
      "task.name": name,
      "task.id": nextTaskId++,
      "loc.file": "app/worker.ts",
      "loc.line": line,
      "loc.col": 7,
    },
    null,
  );
}

export function wake(task: Span, op = "waker.wake"): void {
  WAKER.event({ op, "task.id": task.id });
}

export function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Blocks the event loop, as a CPU-bound poll would.
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a task as a sequence of polls: each slice runs inside the task span; between slices the
 * task registers a waker (clone) and a timer wakes it (wake), like awaiting a tokio Sleep.
 */
export async function runTask(
  span: Span,
  slices: Array<() => void>,
  waitMs: number,
): Promise<void> {
  for (let i = 0; i < slices.length; i++) {
    span.inScope(slices[i] as () => void);
    if (i < slices.length - 1) {
      wake(span, "waker.clone");
      await sleep(waitMs);
      wake(span, "waker.wake");
    }
  }
  span.close();
}

/** The console's picture of the program, rebuilt from Updates the way a console would. */
export class View {
  readonly tasks = new Map<bigint, { task: Task; stats: TaskStats | undefined }>();
  readonly resources = new Map<bigint, { resource: Resource; stats: ResourceStats | undefined }>();
  readonly asyncOps = new Map<bigint, { op: AsyncOp; stats: AsyncOpStats | undefined }>();
  readonly metas = new Map<bigint, Metadata>();
  readonly pollOps: PollOp[] = [];
  updates = 0;
  droppedTaskEvents = 0n;
  orphanStats = 0;

  applyBytes(parts: Buffer[]): void {
    for (const p of parts) this.apply(Update.decode(p));
  }

  apply(u: Update): void {
    this.updates++;
    for (const m of u.newMetadata?.metadata ?? [])
      if (m.id && m.metadata) this.metas.set(m.id.id, m.metadata);
    const tu = u.taskUpdate;
    for (const t of tu?.newTasks ?? []) {
      const id = t.id?.id as bigint;
      this.tasks.set(id, { task: t, stats: this.tasks.get(id)?.stats });
    }
    for (const [id, s] of tu?.statsUpdate ?? []) {
      const e = this.tasks.get(id);
      if (e) e.stats = s;
      else this.orphanStats++;
    }
    this.droppedTaskEvents += tu?.droppedEvents ?? 0n;
    const ru = u.resourceUpdate;
    for (const r of ru?.newResources ?? []) {
      const id = r.id?.id as bigint;
      this.resources.set(id, { resource: r, stats: this.resources.get(id)?.stats });
    }
    for (const [id, s] of ru?.statsUpdate ?? []) {
      const e = this.resources.get(id);
      if (e) e.stats = s;
      else this.orphanStats++;
    }
    this.pollOps.push(...(ru?.newPollOps ?? []));
    const au = u.asyncOpUpdate;
    for (const o of au?.newAsyncOps ?? []) {
      const id = o.id?.id as bigint;
      this.asyncOps.set(id, { op: o, stats: this.asyncOps.get(id)?.stats });
    }
    for (const [id, s] of au?.statsUpdate ?? []) {
      const e = this.asyncOps.get(id);
      if (e) e.stats = s;
      else this.orphanStats++;
    }
  }

  taskNamed(name: string): { task: Task; stats: TaskStats | undefined } | undefined {
    for (const e of this.tasks.values())
      if (fieldValue(e.task.fields, "task.name") === name) return e;
    return undefined;
  }

  resourceOfType(t: string): { resource: Resource; stats: ResourceStats | undefined } | undefined {
    for (const e of this.resources.values()) if (e.resource.concreteType === t) return e;
    return undefined;
  }
}

export function fieldValue(fields: Field[], name: string): unknown {
  const f = fields.find((x) => x.strName === name);
  return f?.strVal ?? f?.u64Val ?? f?.i64Val ?? f?.boolVal ?? f?.debugVal;
}

export function durMs(d: { seconds: bigint; nanos: number } | undefined): number {
  return d === undefined ? 0 : Number(d.seconds) * 1000 + d.nanos / 1e6;
}

/** Waits until cond() holds, checking every 20 ms, failing after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
