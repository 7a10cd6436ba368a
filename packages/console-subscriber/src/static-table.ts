// The static part of retained tasks (metadata, fields but task.id, location), shared by every
// task from the same spawn site and reference-counted, so a retained row stores only an index.
import type { Fields, Metadata } from "@periscope/tracing";
import type { Loc } from "./entities.ts";
import type { TaskEntity } from "./task-entity.ts";

/** What many tasks share: where and how they were spawned (all fields but task.id). */
export interface StaticInfo {
  key: string;
  refs: number;
  metaId: bigint;
  metadata: Metadata;
  fields: Fields;
  nFields: number;
  location: Loc | undefined;
}

export class StaticTable {
  readonly #statics: (StaticInfo | undefined)[] = [];
  readonly #byKey = new Map<string, number>();
  readonly #free: number[] = [];
  #unique = 0;
  #last: number | undefined;

  /** The info at an index handed out by intern() and not yet released. */
  get(idx: number): StaticInfo {
    return this.#statics[idx] as StaticInfo;
  }

  /** The index of t's static info (a new reference to it). */
  intern(t: TaskEntity, taskIdInColumn: boolean): number {
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
    // Copied key by key rather than spread-then-delete: a delete would turn the object into a
    // dictionary, and comparing against one (sameStatic, per task) allocates its key list.
    const fields: Fields = {};
    let nFields = 0;
    for (const k in t.fields) {
      if (k === "task.id" && taskIdInColumn) continue;
      fields[k] = t.fields[k];
      nFields++;
    }
    const info: StaticInfo = {
      key,
      refs: 1,
      metaId: t.metaId,
      metadata: t.metadata,
      fields,
      nFields,
      location: l,
    };
    const idx = this.#free.pop() ?? this.#statics.length;
    this.#statics[idx] = info;
    this.#byKey.set(key, idx);
    return idx;
  }

  release(idx: number): void {
    const info = this.#statics[idx];
    if (info === undefined || --info.refs > 0) return;
    this.#byKey.delete(info.key);
    this.#statics[idx] = undefined;
    this.#free.push(idx);
    if (this.#last === idx) this.#last = undefined;
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
  return n === info.nFields;
}
