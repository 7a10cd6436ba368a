// The static part of retained tasks (metadata, field names, location, field values), shared and
// reference-counted: a retained row stores an index, plus the field values that differ from it
// (row-values.ts). A spawn site gets an entry per distinct set of values up to SITE_VALUE_SETS;
// past that (a peer address or a request id in every task) its rows store their own values.
import type { Fields, Metadata } from "@periscope/tracing";
import type { Loc } from "./entities.ts";
import type { TaskEntity } from "./task-entity.ts";

/** What many tasks share: where and how they were spawned, and their field names in order. */
export interface StaticInfo {
  key: string;
  refs: number;
  metaId: bigint;
  metadata: Metadata;
  /** The first task's values: a row stores only values that differ from these. */
  fields: Fields;
  /** The field names in the tasks' order (all but task.id when that has its own column). */
  names: string[];
  location: Loc | undefined;
  /** Estimated heap bytes of this entry, for the retained-bytes budget. */
  bytes: number;
  site: Site;
}

/** A spawn site's entries: how many, and the one rows with other values are stored against. */
interface Site {
  key: string;
  entries: number;
  base: number | undefined;
}

/** Distinct value sets a spawn site gets entries for before its rows carry their own values. */
const SITE_VALUE_SETS = 8;

/** Heap of an entry besides its strings (the info, its fields object, names array, map slot). */
const ENTRY_BYTES = 240;

function primitive(v: unknown): boolean {
  const ty = typeof v;
  return (
    v === null ||
    ty === "string" ||
    ty === "number" ||
    ty === "bigint" ||
    ty === "boolean" ||
    ty === "undefined"
  );
}

export class StaticTable {
  readonly #statics: (StaticInfo | undefined)[] = [];
  readonly #byKey = new Map<string, number>();
  readonly #sites = new Map<string, Site>();
  readonly #free: number[] = [];
  #last: number | undefined;
  #bytes = 0;

  /** Estimated heap bytes of every entry. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The info at an index handed out by intern() and not yet released. */
  get(idx: number): StaticInfo {
    return this.#statics[idx] as StaticInfo;
  }

  /**
   * The index of t's static info (a new reference to it), or -1 when a field value is not a
   * primitive (an object cannot be stored in a row: such a task keeps its own entity).
   */
  intern(t: TaskEntity, taskIdInColumn: boolean): number {
    // Fast path: the same spawn site as the previous task (a burst, or a stream of connections).
    const last = this.#last === undefined ? undefined : this.#statics[this.#last];
    if (
      last !== undefined &&
      sameSite(last, t, taskIdInColumn) &&
      ((last.site.entries >= SITE_VALUE_SETS && last.site.base === this.#last) ||
        sameValues(last, t))
    ) {
      last.refs++;
      return this.#last as number;
    }
    const idx = this.#internSlow(t, taskIdInColumn);
    if (idx >= 0) this.#last = idx;
    return idx;
  }

  #internSlow(t: TaskEntity, taskIdInColumn: boolean): number {
    let siteKey = `${t.metaId}`;
    let values = "";
    const names: string[] = [];
    let bytes = ENTRY_BYTES;
    for (const k in t.fields) {
      if (k === "task.id" && taskIdInColumn) continue;
      const v = t.fields[k];
      if (!primitive(v)) return -1;
      siteKey += `\0${k}`;
      values += `\0${typeof v}:${String(v)}`;
      names.push(k);
      bytes += 16 + k.length + (typeof v === "string" ? v.length : 0);
    }
    const l = t.location;
    if (l !== undefined) siteKey += `\0@${l.file}:${l.line}:${l.column}`;
    const key = `${siteKey}\0\0${values}`;
    bytes += key.length;
    const hit = this.#byKey.get(key);
    if (hit !== undefined) {
      (this.#statics[hit] as StaticInfo).refs++;
      return hit;
    }
    let site = this.#sites.get(siteKey);
    if (site === undefined) {
      site = { key: siteKey, entries: 0, base: undefined };
      this.#sites.set(siteKey, site);
    }
    if (site.entries >= SITE_VALUE_SETS && site.base !== undefined) {
      (this.#statics[site.base] as StaticInfo).refs++;
      return site.base;
    }
    // Copied key by key rather than spread-then-delete: a delete would turn the object into a
    // dictionary.
    const fields: Fields = {};
    for (const k of names) fields[k] = t.fields[k];
    const info: StaticInfo = {
      key,
      refs: 1,
      metaId: t.metaId,
      metadata: t.metadata,
      fields,
      names,
      location: l,
      bytes,
      site,
    };
    const idx = this.#free.pop() ?? this.#statics.length;
    this.#statics[idx] = info;
    this.#byKey.set(key, idx);
    this.#bytes += bytes;
    site.entries++;
    site.base = idx;
    return idx;
  }

  release(idx: number): void {
    const info = this.#statics[idx];
    if (info === undefined || --info.refs > 0) return;
    this.#byKey.delete(info.key);
    this.#statics[idx] = undefined;
    this.#free.push(idx);
    this.#bytes -= info.bytes;
    if (this.#last === idx) this.#last = undefined;
    const site = info.site;
    if (site.base === idx) site.base = undefined;
    if (--site.entries === 0) this.#sites.delete(site.key);
  }
}

/** Same metadata, location and field names in the same order (values may differ). */
function sameSite(info: StaticInfo, t: TaskEntity, taskIdInColumn: boolean): boolean {
  if (info.metaId !== t.metaId) return false;
  const a = info.location;
  const b = t.location;
  if (a !== b && (a?.file !== b?.file || a?.line !== b?.line || a?.column !== b?.column))
    return false;
  const names = info.names;
  let n = 0;
  for (const k in t.fields) {
    if (k === "task.id" && taskIdInColumn) continue;
    if (names[n] !== k || !primitive(t.fields[k])) return false;
    n++;
  }
  return n === names.length;
}

function sameValues(info: StaticInfo, t: TaskEntity): boolean {
  for (const k of info.names) if (!Object.is(t.fields[k], info.fields[k])) return false;
  return true;
}
