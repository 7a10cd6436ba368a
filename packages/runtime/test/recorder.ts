// A recording Layer for the runtime's tests: every span and event in order, with the span names
// and fields resolved, so tests can assert tokio's conventions as sequences.
import type { EventRecord, FieldValue, SpanAttributes } from "@periscope/tracing";
import { type Layer, type Registry, registry } from "@periscope/tracing-subscriber";

export interface Rec {
  kind: "new" | "enter" | "exit" | "close" | "event" | "record";
  id?: bigint;
  name: string;
  target: string;
  fields: Record<string, FieldValue>;
  parent?: bigint | undefined;
  at: number;
}

export class Recorder implements Layer {
  readonly log: Rec[] = [];
  registry: Registry | undefined;
  readonly spans = new Map<
    bigint,
    {
      name: string;
      target: string;
      fields: Record<string, FieldValue>;
      parent?: bigint | undefined;
    }
  >();
  /** Span ids currently entered, innermost last (as console-subscriber's current_spans). */
  readonly entered: bigint[] = [];

  onNewSpan(attrs: SpanAttributes & { readonly id: bigint }): void {
    const m = attrs.metadata;
    const info = {
      name: m.name,
      target: m.target,
      fields: { ...attrs.fields },
      parent: attrs.parent,
    };
    this.spans.set(attrs.id, info);
    this.log.push({ kind: "new", id: attrs.id, ...info, at: performance.now() });
  }
  // The instant the runtime passes (`at`) when it has one, as the console does: the root's
  // polls are told at the end of their turn with the instants they happened at.
  onEnter(id: bigint, _ctx?: unknown, at?: number): void {
    this.entered.push(id);
    this.push("enter", id, at);
  }
  onExit(id: bigint, _ctx?: unknown, at?: number): void {
    const i = this.entered.lastIndexOf(id);
    if (i >= 0) this.entered.splice(i, 1);
    this.push("exit", id, at);
  }
  onClose(id: bigint): void {
    this.push("close", id);
  }
  onRecord(id: bigint, values: Record<string, FieldValue>): void {
    const s = this.spans.get(id);
    this.log.push({
      kind: "record",
      id,
      name: s?.name ?? "",
      target: s?.target ?? "",
      fields: { ...values },
      at: performance.now(),
    });
  }
  onEvent(e: EventRecord): void {
    this.log.push({
      kind: "event",
      name: e.metadata.name,
      target: e.metadata.target,
      fields: { ...e.fields, __entered: [...this.entered] },
      parent: e.parent,
      at: performance.now(),
    });
  }
  private push(kind: Rec["kind"], id: bigint, at?: number): void {
    const s = this.spans.get(id);
    this.log.push({
      kind,
      id,
      name: s?.name ?? "?",
      target: s?.target ?? "?",
      fields: {},
      at: at ?? performance.now(),
    });
  }

  /** The id of the task span whose task.id field is `taskId`. */
  taskSpan(taskId: bigint): bigint {
    for (const [id, s] of this.spans)
      if (s.name === "runtime.spawn" && s.fields["task.id"] === taskId) return id;
    throw new Error(`no span for task ${taskId}`);
  }
  of(spanId: bigint, kind?: Rec["kind"]): Rec[] {
    return this.log.filter((r) => r.id === spanId && (kind === undefined || r.kind === kind));
  }
  wakes(spanId: bigint, op?: string): Rec[] {
    return this.log.filter(
      (r) =>
        r.kind === "event" &&
        r.target === "runtime::waker" &&
        r.fields["task.id"] === spanId &&
        (op === undefined || r.fields.op === op),
    );
  }
  /** Poll durations (ms) of a span from its enter/exit pairs, nested enters merged. */
  polls(spanId: bigint): number[] {
    const out: number[] = [];
    let depth = 0;
    let start = 0;
    for (const r of this.log) {
      if (r.id !== spanId) continue;
      if (r.kind === "enter" && depth++ === 0) start = r.at;
      // A log cleared mid-poll starts with an exit: ignore it.
      if (r.kind === "exit" && depth > 0 && --depth === 0) out.push(r.at - start);
    }
    return out;
  }
  resources(concrete?: string): [bigint, Rec][] {
    return this.log
      .filter(
        (r) =>
          r.kind === "new" &&
          r.name === "runtime.resource" &&
          (concrete === undefined || r.fields.concrete_type === concrete),
      )
      .map((r) => [r.id as bigint, r]);
  }
  stateUpdates(resourceSpan: bigint): Record<string, FieldValue>[] {
    return this.log
      .filter(
        (r) =>
          r.kind === "event" &&
          r.target === "runtime::resource::state_update" &&
          r.parent === resourceSpan,
      )
      .map((r) => r.fields);
  }
  clear(): void {
    this.log.length = 0;
  }
}

/** Installs a global registry with a fresh Recorder (one per test file: each runs in its own process). */
export function record(): Recorder {
  const rec = new Recorder();
  rec.registry = registry().with(rec).init();
  return rec;
}
