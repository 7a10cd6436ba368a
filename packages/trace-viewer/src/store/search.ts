// Trace search over the store's indexes: walks the time index newest first, or probes the
// bucketed tag and duration indexes bucket by bucket within the window, and stops at the limit.
import { type AnyValue, SPAN_KIND_NAMES, valueText } from "../model.ts";
import type { StoreReader, TraceQuery } from "./read.ts";
import { TAG_BUCKET_BITS as BUCKET_BITS } from "./schema.ts";

/** Spans of one candidate trace a multi-tag search looks through. */
const TAG_CHECK_SPANS = 20_000;

/**
 * Trace ids (16 bytes) of the newest traces that have a span matching service, operation,
 * time window and durations, and carry every tag somewhere (span attributes are matched at
 * trace level, resource attributes on the matching span).
 */
export function findTraceIds(r: StoreReader, q: TraceQuery): Buffer[] {
  const where: string[] = [];
  const args: Array<string | number> = [];
  let driver = "s.start_us";
  let index = "";
  let serviceId = 0;
  if (q.service) {
    const svc = r.stmt("SELECT id FROM services WHERE name = ?").get(q.service) as
      | { id: number }
      | undefined;
    if (!svc) return [];
    if (q.operation) {
      const op = r
        .stmt("SELECT id FROM operations WHERE service_id = ? AND name = ?")
        .get(svc.id, q.operation) as { id: number } | undefined;
      if (!op) return [];
      where.push("s.op_id = ?");
      args.push(op.id);
      index = "INDEXED BY spans_op_start";
    } else {
      index = "INDEXED BY spans_service_start";
    }
    where.push("s.service_id = ?");
    args.push(svc.id);
    serviceId = svc.id;
  } else {
    driver = "s.id";
    if (q.operation) {
      where.push("s.op_id IN (SELECT id FROM operations WHERE name = ?)");
      args.push(q.operation);
    }
  }
  where.push("s.start_us >= ?", "s.start_us <= ?");
  args.push(q.startUs, q.endUs);
  if (q.minDurationUs !== undefined) {
    where.push("s.duration_us >= ?");
    args.push(q.minDurationUs);
  }
  if (q.maxDurationUs !== undefined) {
    where.push("s.duration_us <= ?");
    args.push(q.maxDurationUs);
  }
  const traceTags: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(q.tags ?? {})) {
    // Jaeger derives these two tags from the span itself; they live in columns, not in tags.
    if (k === "error" && (v === "true" || v === "false")) {
      where.push(`s.error = ${v === "true" ? 1 : 0}`);
    } else if (k === "span.kind" && SPAN_KIND_NAMES.indexOf(v) > 0) {
      where.push("s.kind = ?");
      args.push(SPAN_KIND_NAMES.indexOf(v));
    } else if (
      r.stmt("SELECT 1 FROM resource_tags WHERE key = ? AND value = ? LIMIT 1").get(k, v)
    ) {
      where.push(
        "s.resource_id IN (SELECT resource_id FROM resource_tags WHERE key = ? AND value = ?)",
      );
      args.push(k, v);
    } else {
      traceTags.push([k, v]);
    }
  }
  const out: Buffer[] = [];
  const seen = new Set<number>();
  const take = (n: number, t: Uint8Array) => {
    if (seen.has(n)) return false;
    seen.add(n);
    out.push(Buffer.from(t));
    return out.length >= q.limit;
  };
  if (traceTags.length === 0 && !(serviceId && q.minDurationUs !== undefined)) {
    // Walk the time index newest first and stop once enough distinct traces are seen, so a
    // search costs about limit * spans-per-trace rows however many spans are stored.
    const st = r.stmt(
      `SELECT s.trace_no AS n, s.trace_id AS t FROM spans s ${index} WHERE ${where.join(" AND ")} ORDER BY ${driver} DESC`,
    );
    for (const row of st.iterate(...args) as Iterable<{ n: number; t: Uint8Array }>) {
      if (take(row.n, row.t)) break;
    }
    return out;
  }
  // Bucketed indexes (tags, durations) are probed bucket by bucket, newest first, within the
  // trace numbers that the time window covers.
  const [lo, hi] = bucketRange(r, serviceId, q.startUs, q.endUs);
  if (traceTags.length === 0) {
    const st = r.stmt(
      `SELECT s.trace_no AS n, s.trace_id AS t FROM spans s INDEXED BY spans_service_duration WHERE (s.trace_no >> ${BUCKET_BITS}) = ? AND ${where.join(" AND ")} ORDER BY s.start_us DESC`,
    );
    for (let bucket = hi; bucket >= lo && out.length < q.limit; bucket--) {
      for (const row of st.iterate(bucket, ...args) as Iterable<{ n: number; t: Uint8Array }>) {
        if (take(row.n, row.t)) break;
      }
    }
    return out;
  }
  const [k0, v0] = traceTags[0]!;
  // Buckets hold 2^TAG_BUCKET_BITS consecutive traces; probing them newest first keeps the
  // answer in recency order and stops as soon as enough traces matched.
  const candidates = r.stmt(
    "SELECT trace_no AS n FROM trace_tags WHERE bucket = ? AND key = ? AND value = ? ORDER BY trace_no DESC",
  );
  const check = r.stmt(
    `SELECT s.trace_id AS t FROM spans s INDEXED BY spans_trace WHERE s.trace_no = ? AND ${where.join(" AND ")} LIMIT 1`,
  );
  for (let bucket = hi; bucket >= lo && out.length < q.limit; bucket--) {
    for (const row of candidates.iterate(bucket, k0, v0) as Iterable<{ n: number }>) {
      if (seen.has(row.n)) continue;
      seen.add(row.n);
      const hit = check.get(row.n, ...args) as { t: Uint8Array } | undefined;
      if (!hit) continue;
      if (traceTags.length > 1 && !hasTags(r, Buffer.from(hit.t), traceTags.slice(1))) continue;
      seen.delete(row.n);
      if (take(row.n, hit.t)) break;
    }
  }
  return out;
}

/** Buckets of the trace numbers whose spans start in [startUs, endUs], one bucket of margin. */
function bucketRange(
  r: StoreReader,
  serviceId: number,
  startUs: number,
  endUs: number,
): [number, number] {
  if (!serviceId) {
    const all = r
      .stmt("SELECT coalesce(min(no), 0) AS lo, coalesce(max(no), -1) AS hi FROM traces")
      .get() as { lo: number; hi: number };
    return [all.lo >> BUCKET_BITS, all.hi < 0 ? -1 : all.hi >> BUCKET_BITS];
  }
  const edge = (dir: string) =>
    r
      .stmt(
        `SELECT trace_no AS n FROM spans INDEXED BY spans_service_start WHERE service_id = ? AND start_us >= ? AND start_us <= ? ORDER BY start_us ${dir} LIMIT 1`,
      )
      .get(serviceId, startUs, endUs) as { n: number } | undefined;
  const first = edge("ASC");
  const last = edge("DESC");
  if (!first || !last) return [0, -1];
  const a = Math.min(first.n, last.n) >> BUCKET_BITS;
  const b = Math.max(first.n, last.n) >> BUCKET_BITS;
  return [Math.max(0, a - 1), b + 1];
}

// Stops at the first span that completes the set, and looks at a bounded number of spans: a
// search must not cost a whole 200,000-span trace per candidate.
function hasTags(r: StoreReader, traceId: Buffer, tags: Array<[string, string]>): boolean {
  const missing = new Map(tags);
  const has = (attrs: Array<{ key: string; value: AnyValue }>) => {
    for (const kv of attrs) {
      const want = missing.get(kv.key);
      if (want !== undefined && valueText(kv.value) === want) missing.delete(kv.key);
    }
  };
  for (const s of r.traceSpans(traceId, TAG_CHECK_SPANS)) {
    has(s.body.attributes);
    has(s.resource.attributes);
    if (missing.size === 0) return true;
  }
  return false;
}
