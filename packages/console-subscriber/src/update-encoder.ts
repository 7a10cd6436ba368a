// Encodes one logical Update as one or more protobuf Updates, each under the size limit (tokio's
// console-subscriber caps messages at 4 MiB). Each entity is encoded once; its "new" message and
// its stats always travel in the same part, and parts share one `now`.
import {
  RegisterMetadata_NewMetadata as NewMetadataCodec,
  type RegisterMetadata_NewMetadata,
  type Timestamp,
} from "@periscope/console-api";
import { ProtoWriter } from "./proto-writer.ts";

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

/**
 * One Update, written by hand (a part holds thousands of tasks per publish; the generic writer's
 * fork/join per map entry showed in profiles). Field order and bytes are the generated codec's
 * (update-encoder.test.ts re-encodes parts with it and compares).
 */
function encodePart(input: UpdateInput, part: Part, meta: Uint8Array[] | undefined): Buffer {
  w.reset();
  // now: Timestamp { seconds (int64), nanos (int32) }, zero members omitted.
  const { seconds, nanos } = input.now;
  w.byte(10);
  const ts = w.begin();
  if (seconds !== 0n) {
    w.byte(8);
    w.bigVarint(seconds);
  }
  if (nanos !== 0) {
    w.byte(16);
    // int32: a negative one is sign-extended to 64 bits, as the generated writer does.
    w.bigVarint(BigInt(nanos));
  }
  w.end(ts);
  const dropped = [input.droppedTasks, input.droppedResources, input.droppedAsyncOps];
  for (let s = 0; s < 3; s++) {
    const [newField, statsField, droppedField] = FIELDS[s] as readonly [number, number, number];
    // Drops are reported once, in the first part.
    const d = meta !== undefined ? (dropped[s] ?? 0) : 0;
    let size = 0;
    for (const it of part.items) {
      if (it.section !== s) continue;
      if (it.created !== undefined) size += 1 + lenSize(it.created.length);
      size += 1 + lenSize(entrySize(it));
    }
    if (s === Section.RESOURCE) for (const p of part.pollOps) size += 1 + lenSize(p.length);
    if (d > 0) size += 1 + varintSize(d);
    w.byte(((s + 2) << 3) | 2);
    w.varint(size);
    for (const it of part.items) {
      if (it.section !== s || it.created === undefined) continue;
      w.byte((newField << 3) | 2);
      w.bytes(it.created);
    }
    for (const it of part.items) {
      if (it.section !== s) continue;
      // A map entry is a message { 1: key, 2: value }.
      w.byte((statsField << 3) | 2);
      w.varint(entrySize(it));
      w.byte(8);
      w.bigVarint(it.id);
      w.byte(18);
      w.bytes(it.stats);
    }
    if (s === Section.RESOURCE)
      for (const p of part.pollOps) {
        w.byte(26);
        w.bytes(p);
      }
    if (d > 0) {
      w.byte(droppedField << 3);
      w.varint(d);
    }
  }
  if (meta !== undefined && input.metadata !== undefined) {
    w.byte(42);
    const m = w.begin();
    for (const b of meta) {
      w.byte(10);
      w.bytes(b);
    }
    w.end(m);
  }
  return Buffer.from(w.finish().buffer);
}

const w = new ProtoWriter();

function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

/** A length-delimited body of `n` bytes, with its length prefix. */
function lenSize(n: number): number {
  return varintSize(n) + n;
}

/** The stats map entry's body: the id (field 1, written even when 0) and the stats (field 2). */
function entrySize(it: Item): number {
  return 1 + bigVarintSize(it.id) + 1 + lenSize(it.stats.length);
}

function bigVarintSize(n: bigint): number {
  if (n >= 0n && n <= 9007199254740991n) return varintSize(Number(n));
  let size = 1;
  for (let v = BigInt.asUintN(64, n); v >= 0x80n; v >>= 7n) size++;
  return size;
}
