// tasks.Stats straight from a TaskEntity to protobuf bytes, for every task in every publish.
// Hand-written because a CPU profile showed ts-proto's path (a Stats object with bigint counters
// and Timestamp objects, then a generic writer) as a large part of delta(); the bytes are the
// same as TaskStatsCodec.encode(protos.taskStats(e)) (task-stats-encoder.test.ts checks it).
import { TaskStats as TaskStatsCodec } from "@periscope/console-api";
import type { ProtoBuilder } from "./protos.ts";
import type { TaskEntity } from "./task-entity.ts";

/** Reused between calls; each encoding is copied out. Grown on demand. */
let buf = new Uint8Array(256);
let pos = 0;

/** Encoded tasks.Stats of `e`, with monotonic times turned into epoch stamps from `timeOrigin`. */
export function encodeTaskStats(
  e: TaskEntity,
  timeOrigin: number,
  now: number,
  protos: ProtoBuilder,
): Uint8Array {
  // The root mid-poll is always our own work (this code runs in that slice), so it is sent as a
  // poll that ends `now` (as ProtoBuilder's #rootPollStats), not as running forever.
  const rootPolling = e.isRoot && e.current > 0;
  const busyMs = rootPolling ? e.busyMs + Math.max(0, now - e.lastPollStarted) : e.busyMs;
  // Beyond 2^53 (counters, or durations over ~104 days in ns) numbers are not exact: ts-proto.
  const busyNs = Math.max(0, Math.round(busyMs * 1e6));
  const schedNs = Math.max(0, Math.round(e.scheduledMs * 1e6));
  if (
    !(busyNs <= Number.MAX_SAFE_INTEGER && schedNs <= Number.MAX_SAFE_INTEGER) ||
    !(e.wakes + e.wakerClones + e.wakerDrops + e.selfWakes + e.polls <= Number.MAX_SAFE_INTEGER) ||
    !(timeOrigin >= 0)
  )
    return TaskStatsCodec.encode(protos.taskStats(e)).finish();
  pos = 0;
  stamp(10, timeOrigin + e.createdAt);
  if (!Number.isNaN(e.droppedAt)) stamp(18, timeOrigin + e.droppedAt);
  counter(24, e.wakes);
  counter(32, e.wakerClones);
  counter(40, e.wakerDrops);
  if (!Number.isNaN(e.lastWake)) stamp(50, timeOrigin + e.lastWake);
  // PollStats (field 7): its length first, so it is written once.
  const first = stampSize(e.firstPoll, timeOrigin);
  const started = stampSize(e.lastPollStarted, timeOrigin);
  // Absent while a poll is in progress, as upstream documents (but for the root, above).
  const endedAt = rootPolling ? now : e.current > 0 ? Number.NaN : e.lastPollEnded;
  const ended = stampSize(endedAt, timeOrigin);
  const busy = durationSize(busyNs);
  const pollLen =
    (e.polls !== 0 ? 1 + varintSize(e.polls) : 0) +
    (first > 0 ? 1 + first : 0) +
    (started > 0 ? 1 + started : 0) +
    (ended > 0 ? 1 + ended : 0) +
    1 +
    busy;
  byte(58);
  varint(pollLen);
  counter(8, e.polls);
  if (first > 0) stamp(26, timeOrigin + e.firstPoll);
  if (started > 0) stamp(34, timeOrigin + e.lastPollStarted);
  if (ended > 0) stamp(42, timeOrigin + endedAt);
  duration(50, busyNs);
  counter(64, e.selfWakes);
  duration(74, schedNs);
  return buf.slice(0, pos);
}

function byte(b: number): void {
  if (pos + 16 > buf.length) {
    const grown = new Uint8Array(buf.length * 2);
    grown.set(buf);
    buf = grown;
  }
  buf[pos++] = b;
}

/** Unsigned varint of a safe integer. */
function varint(n: number): void {
  let v = n;
  while (v >= 0x80) {
    byte((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  byte(v);
}

function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

/** A uint64 field, omitted when 0 (proto3). */
function counter(tag: number, n: number): void {
  if (n === 0) return;
  byte(tag);
  varint(n);
}

/** What split() leaves: no tuple per stamp (six stamps a task, every publish). */
let secs = 0;
let nanos = 0;

/** Seconds and nanos of an epoch time in ms, exactly as console-api's timestampFromMs. */
function split(ms: number): void {
  secs = Math.floor(ms / 1000);
  nanos = Math.min(999_999_999, Math.max(0, Math.round((ms - secs * 1000) * 1e6)));
}

/** Timestamp{seconds = 1, nanos = 2} as a nested field. */
function stamp(tag: number, ms: number): void {
  split(ms);
  pair(tag, secs, nanos);
}

function pair(tag: number, s: number, ns: number): void {
  byte(tag);
  varint((s !== 0 ? 1 + varintSize(s) : 0) + (ns !== 0 ? 1 + varintSize(ns) : 0));
  counter(8, s);
  counter(16, ns);
}

/** Encoded body size of a Timestamp plus one (its length byte), or 0 for NaN (field absent). */
function stampSize(mono: number, timeOrigin: number): number {
  if (Number.isNaN(mono)) return 0;
  split(timeOrigin + mono);
  return 1 + (secs !== 0 ? 1 + varintSize(secs) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
}

/** Encoded size of a Duration with its length byte. */
function durationSize(ns: number): number {
  const s = Math.floor(ns / 1e9);
  const n = ns % 1e9;
  return 1 + (s !== 0 ? 1 + varintSize(s) : 0) + (n !== 0 ? 1 + varintSize(n) : 0);
}

/** Duration{seconds, nanos} as a nested field; always present, as protos.taskStats sends it. */
function duration(tag: number, ns: number): void {
  pair(tag, Math.floor(ns / 1e9), ns % 1e9);
}
