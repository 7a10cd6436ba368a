// Encodes one logical Update as one or more protobuf Updates, each under the size limit (tokio's
// console-subscriber caps messages at 4 MiB). Each entity is encoded once; its "new" message and
// its stats always travel in the same part, and parts share one `now`.
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  RegisterMetadata_NewMetadata as NewMetadataCodec,
  type RegisterMetadata_NewMetadata,
  type Timestamp,
  Timestamp as TimestampCodec,
} from "@periscope/console-api";

/** Upstream's MAX_MESSAGE_SIZE; we keep a margin for framing and the part's own headers. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const MARGIN = 64 * 1024;

export const Section = { TASK: 0, RESOURCE: 1, ASYNC_OP: 2 } as const;
export type Section = (typeof Section)[keyof typeof Section];

/** One entity's contribution: its new-entity message (when first announced) and its stats. */
export interface Item {
  section: Section;
  id: bigint;
  /** Encoded Task / Resource / AsyncOp, or undefined when only stats changed. */
  created: Uint8Array | undefined;
  /** Encoded tasks.Stats / resources.Stats / async_ops.Stats. */
  stats: Uint8Array;
}

export interface UpdateInput {
  now: Timestamp;
  /** Undefined: no new_metadata field at all (a delta with nothing new). */
  metadata: RegisterMetadata_NewMetadata[] | undefined;
  items: Item[];
  /** Encoded resources.PollOp messages. */
  pollOps: Uint8Array[];
  droppedTasks: number;
  droppedResources: number;
  droppedAsyncOps: number;
}

interface Part {
  items: Item[];
  pollOps: Uint8Array[];
  size: number;
}

/** Field numbers: [new list, stats map, dropped_events] per section, as the .proto files say. */
const FIELDS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 3, 4], // tasks.TaskUpdate
  [1, 2, 4], // resources.ResourceUpdate
  [1, 2, 3], // async_ops.AsyncOpUpdate
];

export function encodeUpdates(input: UpdateInput, maxBytes = MAX_MESSAGE_BYTES): Buffer[] {
  const budget = Math.max(1024, maxBytes - MARGIN);
  const metaBytes = (input.metadata ?? []).map((m) => NewMetadataCodec.encode(m).finish());
  const parts: Part[] = [];
  let cur: Part = {
    items: [],
    pollOps: [],
    size: metaBytes.reduce((n, b) => n + b.length + 6, 64),
  };
  const next = (): void => {
    parts.push(cur);
    cur = { items: [], pollOps: [], size: 64 };
  };
  for (const it of input.items) {
    const size = (it.created?.length ?? 0) + it.stats.length + 32;
    if (cur.size + size > budget && (cur.items.length > 0 || cur.pollOps.length > 0)) next();
    cur.items.push(it);
    cur.size += size;
  }
  for (const p of input.pollOps) {
    if (cur.size + p.length + 8 > budget && (cur.items.length > 0 || cur.pollOps.length > 0))
      next();
    cur.pollOps.push(p);
    cur.size += p.length + 8;
  }
  parts.push(cur);
  return parts.map((part, i) => encodePart(input, part, i === 0 ? metaBytes : undefined));
}

function encodePart(input: UpdateInput, part: Part, meta: Uint8Array[] | undefined): Buffer {
  const w = new BinaryWriter();
  w.uint32(10).fork();
  TimestampCodec.encode(input.now, w);
  w.join();
  const dropped = [input.droppedTasks, input.droppedResources, input.droppedAsyncOps];
  for (let s = 0; s < 3; s++) {
    const [newField, statsField, droppedField] = FIELDS[s] as readonly [number, number, number];
    w.uint32(((s + 2) << 3) | 2).fork();
    for (const it of part.items) {
      if (it.section === s && it.created !== undefined)
        w.uint32((newField << 3) | 2).bytes(it.created);
    }
    for (const it of part.items) {
      if (it.section !== s) continue;
      // A map entry is a message { 1: key, 2: value }.
      w.uint32((statsField << 3) | 2).fork();
      w.uint32(8).uint64(it.id);
      w.uint32(18).bytes(it.stats);
      w.join();
    }
    if (s === Section.RESOURCE) for (const p of part.pollOps) w.uint32(26).bytes(p);
    // Drops are reported once, in the first part.
    const d = meta !== undefined ? (dropped[s] ?? 0) : 0;
    if (d > 0) w.uint32(droppedField << 3).uint64(d);
    w.join();
  }
  if (meta !== undefined && input.metadata !== undefined) {
    w.uint32(42).fork();
    for (const m of meta) w.uint32(10).bytes(m);
    w.join();
  }
  const out = w.finish();
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
