// Assigns console MetaIds to callsite metadata and keeps the RegisterMetadata list: all of it for
// a new client's first Update, and what is new since the last delta for everyone else.
import type {
  Metadata as ProtoMetadata,
  RegisterMetadata_NewMetadata,
} from "@periscope/console-api";
import type { Metadata } from "@periscope/tracing";
import { cap } from "./fields.ts";

export class MetadataRegistry {
  readonly #ids = new Map<Metadata, bigint>();
  readonly all: RegisterMetadata_NewMetadata[] = [];
  pending: RegisterMetadata_NewMetadata[] = [];
  #next = 1n;

  /** The id for a callsite's metadata, registering it on first sight. */
  idFor(meta: Metadata): bigint {
    let id = this.#ids.get(meta);
    if (id === undefined) {
      id = this.#next++;
      this.#ids.set(meta, id);
      const entry = { id: { id }, metadata: toProto(meta) };
      this.all.push(entry);
      this.pending.push(entry);
    }
    return id;
  }

  takePending(): RegisterMetadata_NewMetadata[] {
    const p = this.pending;
    this.pending = [];
    return p;
  }
}

/** Our Level is TRACE=0..ERROR=4; console-api's is ERROR=0..TRACE=4. */
export function toProto(meta: Metadata): ProtoMetadata {
  return {
    name: cap(meta.name),
    target: cap(meta.target),
    modulePath: cap(meta.target),
    location:
      meta.file === undefined
        ? undefined
        : { file: cap(meta.file), modulePath: undefined, line: meta.line, column: meta.column },
    kind: meta.kind === "span" ? 0 : 1,
    level: (4 - meta.level) as ProtoMetadata["level"],
    fieldNames: meta.fields.map(cap),
  };
}
