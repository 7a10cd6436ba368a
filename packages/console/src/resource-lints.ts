// Resource lints, where Node gives the signal: a lock held across a long await (a Mutex locked,
// or an RwLock write-locked, for a second or more of server time) and an unbounded mpsc channel
// whose queue keeps growing (1,000 messages or more, not falling for 5 s). tokio-console has no
// resource lints; these read the attributes any console-api server sends (tokio's Mutex too).
import { formatDuration } from "./duration.ts";
import type { LintId, Resource } from "./model.ts";

export const LOCK_HELD_NS = 1e9;
export const CHANNEL_QUEUED_MIN = 1000;
export const CHANNEL_GROWING_NS = 5e9;

export type ResourceLintId = Extract<LintId, "lock-held" | "channel-growing">;
export const RESOURCE_LINTS: readonly ResourceLintId[] = ["lock-held", "channel-growing"];

/** What the lints remember of a resource between updates. */
export interface ResourceTrack {
  /** Server time since which the lock has been held, if it is. */
  heldSince: number | undefined;
  queued: number;
  /** Server time the queue last fell (or was first seen). */
  queueFellAt: number;
}

function attrNum(r: Resource, name: string): number | undefined {
  const v = r.attrs.get(name)?.value;
  return typeof v === "number" || typeof v === "bigint" ? Number(v) : undefined;
}

function held(r: Resource): boolean {
  if (r.concreteType.startsWith("Mutex")) return r.attrs.get("locked")?.value === true;
  if (r.concreteType.startsWith("RwLock")) return r.attrs.get("write_locked")?.value === true;
  return false;
}

/** Updates the resource's track after its stats changed (called once per update). */
export function trackResource(r: Resource, t: ResourceTrack | undefined, now: number) {
  const track = t ?? { heldSince: undefined, queued: 0, queueFellAt: now };
  if (held(r)) track.heldSince ??= now;
  else track.heldSince = undefined;
  const q = attrNum(r, "queued");
  if (q !== undefined) {
    if (q < track.queued) track.queueFellAt = now;
    track.queued = q;
  }
  return track;
}

export function lintResource(
  r: Resource,
  t: ResourceTrack,
  enabled: readonly LintId[],
  now: number,
): ResourceLintId[] {
  const out: ResourceLintId[] = [];
  if (r.droppedAt !== undefined) return out;
  if (
    enabled.includes("lock-held") &&
    t.heldSince !== undefined &&
    now - t.heldSince >= LOCK_HELD_NS
  )
    out.push("lock-held");
  if (
    enabled.includes("channel-growing") &&
    r.concreteType.includes("Unbounded") &&
    t.queued >= CHANNEL_QUEUED_MIN &&
    now - t.queueFellAt >= CHANNEL_GROWING_NS
  )
    out.push("channel-growing");
  return out;
}

export function describeResourceLint(
  id: ResourceLintId,
  r: Resource,
  t: ResourceTrack,
  now: number,
) {
  const where = r.location ? ` at ${r.location}` : "";
  if (id === "lock-held") {
    const d = formatDuration(now - (t.heldSince ?? now), 1).text;
    return `${r.concreteType}${where} has been held for ${d}: a guard kept across an await blocks every task waiting for it`;
  }
  return `${r.concreteType}${where} holds ${t.queued} messages and has not drained for ${formatDuration(now - t.queueFellAt, 0).text}: its receiver is not keeping up`;
}

export function resourceLintSummary(id: ResourceLintId): string {
  return id === "lock-held"
    ? `locks held for ${LOCK_HELD_NS / 1e9}s or more`
    : `unbounded channels growing (${CHANNEL_QUEUED_MIN}+ messages, not draining for ${CHANNEL_GROWING_NS / 1e9}s)`;
}
