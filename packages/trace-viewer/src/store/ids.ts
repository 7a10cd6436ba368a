// The writer's ids for services, operations, resources, scopes and traces: looked up or inserted
// once, then answered from bounded in-memory caches (cleared when retention drops metadata rows).
import type { DatabaseSync } from "node:sqlite";
import { type IngestResource, valueText } from "../model.ts";
import { MAX_TAG_VALUE } from "./schema.ts";

/** Whether two 16-byte ids are equal (four word compares: Buffer.equals is a native call). */
function sameId(a: Buffer, b: Buffer): boolean {
  return (
    a.length === b.length &&
    a.length === 16 &&
    a.readUInt32LE(0) === b.readUInt32LE(0) &&
    a.readUInt32LE(4) === b.readUInt32LE(4) &&
    a.readUInt32LE(8) === b.readUInt32LE(8) &&
    a.readUInt32LE(12) === b.readUInt32LE(12)
  );
}

export type WriterStatements = ReturnType<typeof prepareWriter>;

export class WriterIds {
  #services = new Map<string, number>();
  #ops = new Map<number, Map<string, number>>();
  #opCount = 0;
  #opKinds = new Set<number>();
  #resources = new Map<string, number>();
  #scopes = new Map<string, number>();
  #traceNos = new Map<string, number>();
  #lastTrace: Buffer | undefined;
  #lastTraceNo = 0;
  #st: WriterStatements;

  constructor(st: WriterStatements) {
    this.#st = st;
  }

  /** Forgets every cached id (after retention dropped metadata rows). */
  clear(): void {
    this.#services.clear();
    this.clearOps();
    this.#opKinds.clear();
    this.#resources.clear();
    this.#scopes.clear();
    this.clearTraceNos();
  }

  clearOps(): void {
    this.#ops.clear();
    this.#opCount = 0;
  }

  clearTraceNos(): void {
    this.#traceNos.clear();
    this.#lastTrace = undefined;
  }

  serviceId(name: string): number {
    let id = this.#services.get(name);
    if (id === undefined) {
      const row = this.#st.svcGet.get(name) as { id: number } | undefined;
      id = row ? row.id : Number(this.#st.svcAdd.run(name).lastInsertRowid);
      if (this.#services.size >= 10_000) this.#services.clear();
      this.#services.set(name, id);
    }
    return id;
  }

  // Spans are indexed by a small trace number handed out in arrival order rather than by the
  // random 128-bit id, so index inserts land near the end of the b-tree instead of anywhere.
  traceNo(traceId: Buffer): number {
    if (this.#lastTrace && sameId(this.#lastTrace, traceId)) return this.#lastTraceNo;
    const key = traceId.toString("latin1");
    let no = this.#traceNos.get(key);
    if (no === undefined) {
      // One statement for a trace new or seen before (the cache forgot it): the no-op update
      // makes RETURNING answer for an existing row too.
      no = (this.#st.traceNo.get(traceId) as { no: number }).no;
      if (this.#traceNos.size >= 100_000) this.#traceNos.clear();
      this.#traceNos.set(key, no);
    }
    this.#lastTrace = traceId;
    this.#lastTraceNo = no;
    return no;
  }

  // Per service, then by name, and kinds as numbers: no key string is built per span.
  opId(svc: number, name: string, kind: number): number {
    let names = this.#ops.get(svc);
    if (!names) {
      names = new Map();
      this.#ops.set(svc, names);
    }
    let id = names.get(name);
    if (id === undefined) {
      const row = this.#st.opGet.get(svc, name) as { id: number } | undefined;
      id = row ? row.id : Number(this.#st.opAdd.run(svc, name).lastInsertRowid);
      if (this.#opCount++ >= 100_000) this.clearOps();
      this.#ops.set(svc, names);
      names.set(name, id);
    }
    const kk = id * 8 + kind;
    if (!this.#opKinds.has(kk)) {
      if (this.#opKinds.size >= 100_000) this.#opKinds.clear();
      this.#st.kindAdd.run(id, kind);
      this.#opKinds.add(kk);
    }
    return id;
  }

  resourceId(svc: number, r: IngestResource): number {
    const body = JSON.stringify(r.resource);
    let id = this.#resources.get(body);
    if (id === undefined) {
      const row = this.#st.resGet.get(body) as { id: number } | undefined;
      if (row) id = row.id;
      else {
        id = Number(this.#st.resAdd.run(svc, body).lastInsertRowid);
        for (const kv of r.resource.attributes) {
          const text = valueText(kv.value);
          if (text.length <= MAX_TAG_VALUE) this.#st.resTag.run(kv.key, text, id);
        }
      }
      // Unique resources (one per pod, per process) would grow this map without end.
      if (this.#resources.size >= 10_000) this.#resources.clear();
      this.#resources.set(body, id);
    }
    return id;
  }

  scopeId(body: string): number {
    let id = this.#scopes.get(body);
    if (id === undefined) {
      const row = this.#st.scopeGet.get(body) as { id: number } | undefined;
      id = row ? row.id : Number(this.#st.scopeAdd.run(body).lastInsertRowid);
      if (this.#scopes.size >= 10_000) this.#scopes.clear();
      this.#scopes.set(body, id);
    }
    return id;
  }
}

export function prepareWriter(db: DatabaseSync) {
  return {
    nextId: db.prepare("SELECT coalesce(max(id), 0) + 1 AS n FROM chunks"),
    svcGet: db.prepare("SELECT id FROM services WHERE name = ?"),
    svcAdd: db.prepare("INSERT INTO services (name) VALUES (?)"),
    opGet: db.prepare("SELECT id FROM operations WHERE service_id = ? AND name = ?"),
    opAdd: db.prepare("INSERT INTO operations (service_id, name) VALUES (?, ?)"),
    kindAdd: db.prepare("INSERT OR IGNORE INTO operation_kinds (op_id, kind) VALUES (?, ?)"),
    resGet: db.prepare("SELECT id FROM resources WHERE body = ?"),
    resAdd: db.prepare("INSERT INTO resources (service_id, body) VALUES (?, ?)"),
    resTag: db.prepare(
      "INSERT OR IGNORE INTO resource_tags (key, value, resource_id) VALUES (?, ?, ?)",
    ),
    scopeGet: db.prepare("SELECT id FROM scopes WHERE body = ?"),
    scopeAdd: db.prepare("INSERT INTO scopes (body) VALUES (?)"),
    chunk: db.prepare(
      "INSERT INTO chunks (id, trace_no, service_id, resource_id, scope_id, n, start_min, start_max, dur_max, errors, bloom, cols, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    traceNo: db.prepare(
      "INSERT INTO traces (trace_id) VALUES (?) ON CONFLICT (trace_id) DO UPDATE SET trace_id = excluded.trace_id RETURNING no",
    ),
    svcLast: db.prepare("UPDATE services SET last_span = ? WHERE id = ?"),
    opLast: db.prepare("UPDATE operations SET last_span = ? WHERE id = ?"),
    resLast: db.prepare("UPDATE resources SET last_span = ? WHERE id = ?"),
    scopeLast: db.prepare("UPDATE scopes SET last_span = ? WHERE id = ?"),
  };
}
