// Trace search over the chunks: walks a service's chunks newest first through the (service,
// start) index (all chunks by arrival when no service is given), checks each chunk's spans against
// the query from its columns, tags against the chunks' Bloom filters and then the spans
// themselves, and stops at the limit.
import { type AnyValue, SPAN_KIND_NAMES, valueText } from "../model.ts";
import { decodeStoredBody } from "../otlp/span-bytes.ts";
import { bloomHas, ChunkCols, chunkBodies, hashPair, tagKey } from "./chunk.ts";
import type { StoreReader, TraceQuery } from "./read.ts";

/** Spans of one candidate trace a tag search decodes at most (only chunks whose Bloom filter
 * may hold a missing tag are decoded). */
const TAG_CHECK_SPANS = 20_000;

interface Filter {
  startUs: number;
  endUs: number;
  opIds: Set<number> | null;
  minDur: number | undefined;
  maxDur: number | undefined;
  error: boolean | undefined;
  kind: number | undefined;
}

/** Whether some span of the chunk matches the span-level conditions. */
function anySpan(cols: ChunkCols, f: Filter): boolean {
  for (let i = 0; i < cols.n; i++) {
    const st = cols.startUs(i);
    if (st < f.startUs || st > f.endUs) continue;
    if (f.opIds && !f.opIds.has(cols.opId(i))) continue;
    const d = cols.durationUs(i);
    if (f.minDur !== undefined && d < f.minDur) continue;
    if (f.maxDur !== undefined && d > f.maxDur) continue;
    if (f.error !== undefined && cols.error(i) !== f.error) continue;
    if (f.kind !== undefined && cols.kind(i) !== f.kind) continue;
    return true;
  }
  return false;
}

interface ChunkHit {
  id: number;
  trace_no: number;
  resource_id: number;
  start_min: number;
  start_max: number;
}

/**
 * Trace ids (16 bytes) of the newest traces that have a span matching service, operation,
 * time window and durations, and carry every tag somewhere (span attributes are matched at
 * trace level, resource attributes on the matching span).
 */
export function findTraceIds(r: StoreReader, q: TraceQuery): Buffer[] {
  const f: Filter = {
    startUs: q.startUs,
    endUs: q.endUs,
    opIds: null,
    minDur: q.minDurationUs,
    maxDur: q.maxDurationUs,
    error: undefined,
    kind: undefined,
  };
  const where = ["start_max >= ?", "start_min <= ?"];
  const args: Array<string | number> = [q.startUs, q.endUs];
  let sql: string;
  if (q.service) {
    const svc = r.stmt("SELECT id FROM services WHERE name = ?").get(q.service) as
      | { id: number }
      | undefined;
    if (!svc) return [];
    where.unshift("service_id = ?");
    args.unshift(svc.id);
    if (q.operation) {
      const op = r
        .stmt("SELECT id FROM operations WHERE service_id = ? AND name = ?")
        .get(svc.id, q.operation) as { id: number } | undefined;
      if (!op) return [];
      f.opIds = new Set([op.id]);
    }
    sql = "FROM chunks c INDEXED BY chunks_service_start WHERE %W ORDER BY start_max DESC";
  } else {
    if (q.operation) {
      const ops = r.stmt("SELECT id FROM operations WHERE name = ?").all(q.operation) as Array<{
        id: number;
      }>;
      if (ops.length === 0) return [];
      f.opIds = new Set(ops.map((o) => o.id));
    }
    sql = "FROM chunks c WHERE %W ORDER BY id DESC";
  }
  if (q.minDurationUs !== undefined) {
    where.push("dur_max >= ?");
    args.push(q.minDurationUs);
  }
  const resourceSets: Array<Set<number>> = [];
  const traceTags: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(q.tags ?? {})) {
    // Jaeger derives these two tags from the span itself; they live in columns, not in tags.
    if (k === "error" && (v === "true" || v === "false")) {
      f.error = v === "true";
      if (f.error) where.push("errors > 0");
    } else if (k === "span.kind" && SPAN_KIND_NAMES.indexOf(v) > 0) {
      f.kind = SPAN_KIND_NAMES.indexOf(v);
    } else if (
      r.stmt("SELECT 1 FROM resource_tags WHERE key = ? AND value = ? LIMIT 1").get(k, v)
    ) {
      const ids = r
        .stmt("SELECT resource_id AS id FROM resource_tags WHERE key = ? AND value = ?")
        .all(k, v) as Array<{ id: number }>;
      resourceSets.push(new Set(ids.map((x) => x.id)));
    } else {
      traceTags.push([k, v]);
      // Some chunk of the trace may hold the pair (its Bloom filter says so): tested in SQLite,
      // then checked on the spans (hasTags).
      where.push(
        "EXISTS (SELECT 1 FROM chunks t INDEXED BY chunks_trace WHERE t.trace_no = c.trace_no AND bloom_has(t.bloom, ?, ?))",
      );
      args.push(...hashPair(tagKey(k, v)));
    }
  }
  // Columns are read only when a span-level condition needs them: a chunk wholly inside the
  // window with no other condition matches as it is.
  const spanLevel =
    f.opIds !== null ||
    f.minDur !== undefined ||
    f.maxDur !== undefined ||
    f.error !== undefined ||
    f.kind !== undefined;
  const walk = r.stmt(
    `SELECT id, trace_no, resource_id, start_min, start_max ${sql.replace("%W", where.join(" AND "))}`,
  );
  const colsOf = r.stmt("SELECT cols FROM chunks WHERE id = ?");
  const out: Buffer[] = [];
  // Traces answered, or ruled out by their tags (tags are a property of the whole trace).
  const decided = new Set<number>();
  for (const c of walk.iterate(...args) as Iterable<ChunkHit>) {
    if (decided.has(c.trace_no)) continue;
    if (!resourceSets.every((set) => set.has(c.resource_id))) continue;
    if (spanLevel || c.start_min < f.startUs || c.start_max > f.endUs) {
      const row = colsOf.get(c.id) as { cols: Uint8Array };
      if (!anySpan(new ChunkCols(row.cols), f)) continue;
    }
    decided.add(c.trace_no);
    if (traceTags.length > 0 && !hasTags(r, c.trace_no, traceTags)) continue;
    const id = r.traceIdOf(c.trace_no);
    if (!id) continue;
    out.push(id);
    if (out.length >= q.limit) break;
  }
  return out;
}

/**
 * Whether the trace carries every tag on some span (or its resource). The chunks' Bloom filters
 * rule most traces out without decoding; only chunks that may hold a missing tag are decoded, at
 * most TAG_CHECK_SPANS spans, so a search never costs a whole 200,000-span trace per candidate.
 */
function hasTags(r: StoreReader, traceNo: number, tags: Array<[string, string]>): boolean {
  const hashed = tags.map(([k, v]) => hashPair(tagKey(k, v)));
  const blooms = r
    .stmt("SELECT id, bloom FROM chunks INDEXED BY chunks_trace WHERE trace_no = ?")
    .all(traceNo) as Array<{ id: number; bloom: Uint8Array }>;
  const maybe = new Set<number>();
  for (const [a, b] of hashed) {
    let found = false;
    for (const c of blooms) {
      if (bloomHas(c.bloom, a, b)) {
        found = true;
        maybe.add(c.id);
      }
    }
    if (!found) return false;
  }
  const missing = new Map(tags);
  const has = (attrs: Array<{ key: string; value: AnyValue }>) => {
    for (const kv of attrs) {
      const want = missing.get(kv.key);
      if (want !== undefined && valueText(kv.value) === want) missing.delete(kv.key);
    }
  };
  const body = r.stmt("SELECT resource_id, body FROM chunks WHERE id = ?");
  let budget = TAG_CHECK_SPANS;
  for (const id of [...maybe].sort((a, b) => a - b)) {
    const c = body.get(id) as { resource_id: number; body: Uint8Array };
    has(r.resourceAttributes(c.resource_id));
    for (const raw of chunkBodies(c.body)) {
      if (missing.size === 0 || budget-- <= 0) break;
      has(decodeStoredBody(raw).attributes);
    }
    if (missing.size === 0) return true;
    if (budget <= 0) break;
  }
  return missing.size === 0;
}
