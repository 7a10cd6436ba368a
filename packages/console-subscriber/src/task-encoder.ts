// tasks.Task (a new_tasks entry) straight from a TaskEntity to protobuf bytes. Hand-written as
// task-stats-encoder.ts is: with a task per request, ts-proto's path (a Task object, a Field
// object with bigint values per field, then the generic writer) was ~5% of a watched program's
// busy time. The bytes are the same as TaskCodec.encode(protos.task(e)) (task-encoder.test.ts).
import type { FieldValue } from "@periscope/tracing";
import { cap, debugString } from "./fields.ts";
import { ProtoWriter } from "./proto-writer.ts";
import type { TaskEntity } from "./task-entity.ts";

const w = new ProtoWriter();
const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
const U32_MAX = 0xffff_ffff;

/** Encoded tasks.Task of `e`: id, metadata, kind, fields (but loc.*), parent, location. */
export function encodeTask(e: TaskEntity): Uint8Array {
  w.reset();
  id(10, e.id);
  id(18, e.metaId);
  if (e.blocking) {
    w.byte(24);
    w.byte(1);
  }
  const f = e.fields;
  for (const k in f) {
    if (k === "loc.file" || k === "loc.line" || k === "loc.col") continue;
    const v = f[k];
    if (v === undefined) continue;
    w.byte(34);
    const start = w.begin();
    w.byte(10);
    w.string(k);
    value(v);
    id(66, e.metaId);
    w.end(start);
  }
  if (e.parent !== undefined) id(42, e.parent);
  const l = e.location;
  if (l !== undefined) {
    w.byte(50);
    const start = w.begin();
    w.byte(10);
    w.string(l.file);
    // Location.line/column are uint32 (the generated writer throws beyond): such a one is left out.
    if (l.line !== undefined && l.line <= U32_MAX) {
      w.byte(24);
      w.varint(l.line);
    }
    if (l.column !== undefined && l.column <= U32_MAX) {
      w.byte(32);
      w.varint(l.column);
    }
    w.end(start);
  }
  return w.finish();
}

/** An Id / MetaId / SpanId message field: `{ id }`, the id omitted when 0 (proto3). */
function id(tag: number, n: bigint): void {
  w.byte(tag);
  const start = w.begin();
  w.bigCounter(8, n);
  w.end(start);
}

/** The Field's value in the oneof member fields.ts's setValue picks (as tokio's subscriber). */
function value(v: FieldValue): void {
  switch (typeof v) {
    case "string":
      w.byte(34);
      w.string(cap(v));
      return;
    case "boolean":
      w.byte(56);
      w.byte(v ? 1 : 0);
      return;
    case "number":
      if (Number.isSafeInteger(v)) {
        if (v >= 0) {
          w.byte(40);
          w.varint(v);
        } else {
          w.byte(48);
          w.sint64(BigInt(v));
        }
      } else {
        w.byte(26);
        w.string(String(v));
      }
      return;
    case "bigint":
      if (v >= 0n && v <= U64_MAX) {
        w.byte(40);
        w.bigVarint(v);
      } else if (v < 0n && v >= I64_MIN) {
        w.byte(48);
        w.sint64(v);
      } else {
        w.byte(26);
        w.string(cap(v.toString()));
      }
      return;
    default:
      w.byte(26);
      w.string(debugString(v));
  }
}
