// System Architecture's and Monitor's endpoints, answered from the aggregates the store keeps at
// ingest (store/aggregates.ts), never by reading spans: Jaeger's /api/dependencies (plus an
// errorCount per link) and Jaeger's metrics API /api/metrics/{latencies,calls,errors,minstep},
// with Jaeger's parameters and defaults, so Jaeger UI's Monitor tab works against the viewer.
import { SPAN_KIND_NAMES } from "../model.ts";
import type { StoreReader } from "../store/read.ts";
import { type Answer, json } from "./answer.ts";
import { parseDuration, parseInteger, QueryParamError } from "./params.ts";
import { type RedMetric, type RedQuery, type RedRow, redFamily } from "./red-metrics.ts";

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

/** Caller -> callee service pairs of spans that started in the minutes overlapping [startMs, endMs]. */
export function dependencyLinks(
  reader: StoreReader,
  startMs: number,
  endMs: number,
  service?: string,
): DependencyLink[] {
  const rows = reader
    .stmt(
      `SELECT parent, child, sum(calls) AS callCount, sum(errors) AS errorCount FROM dep_minutes
       WHERE minute >= ? AND minute <= ? GROUP BY parent, child ORDER BY parent, child`,
    )
    .all(Math.floor(startMs / 60e3) * 60e3, endMs) as unknown as DependencyLink[];
  const out = rows.map((r) => ({ ...r }));
  return service ? out.filter((l) => l.parent === service || l.child === service) : out;
}

/** The per-minute RED rows of one service and some span kinds, minutes in [fromMs, toMs). */
export function redRows(
  reader: StoreReader,
  service: string,
  kinds: number[],
  fromMs: number,
  toMs: number,
): RedRow[] {
  const st = reader.stmt(
    `SELECT minute, operation, calls, errors, hist FROM red_minutes
     WHERE service = ? AND kind = ? AND minute >= ? AND minute < ?`,
  );
  return kinds.flatMap((k) => st.all(service, k, fromMs, toMs) as unknown as RedRow[]);
}

/** The aggregates are per minute: the finest step that means anything. */
export const MIN_STEP_MS = 60_000;

const envelope = (data: unknown) => ({ data, total: 0, limit: 0, offset: 0, errors: null });

/** A millisecond parameter: an integer, or a Go duration ("5m"); `fallback` when absent. */
function ms(q: URLSearchParams, name: string, fallback: number): number {
  const raw = q.get(name);
  if (!raw) return fallback;
  const v = /^-?\d+$/.test(raw) ? parseInteger(raw, name) : parseDuration(raw, name) / 1000;
  if (v < 0) throw new QueryParamError(`unable to parse param '${name}': must not be negative`);
  return v;
}

/** A time in ms since the epoch (an integer, as Jaeger takes `endTs`); `now` when absent. */
function time(q: URLSearchParams, name: string, now: number): number {
  const raw = q.get(name);
  return raw ? parseInteger(raw, name) : now;
}

/** Go's strconv.ParseBool, which Jaeger uses for groupByOperation. */
function bool(q: URLSearchParams, name: string): boolean {
  const raw = q.get(name);
  if (raw === null || raw === "") return false;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(raw)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false;
  throw new QueryParamError(`unable to parse param '${name}': expected true or false`);
}

/** Span kinds by name ("server") or as Jaeger's enum ("SPAN_KIND_SERVER"); default server. */
function kinds(q: URLSearchParams): number[] {
  const raws = q.getAll("spanKind").filter((x) => x !== "");
  if (raws.length === 0) return [SPAN_KIND_NAMES.indexOf("server")];
  return [
    ...new Set(
      raws.map((raw) => {
        const k = SPAN_KIND_NAMES.indexOf(raw.toLowerCase().replace(/^span_kind_/, ""));
        if (k < 0) {
          throw new QueryParamError(
            `unsupported span kind: '${raw}'; use one of ${SPAN_KIND_NAMES.join(", ")}`,
          );
        }
        return k;
      }),
    ),
  ];
}

/** /api/dependencies and /api/metrics/*; null for other paths. */
export function handleAggregates(
  path: string,
  q: URLSearchParams,
  reader: StoreReader,
  now: number,
): Answer | null {
  if (path === "/api/dependencies") {
    const endMs = time(q, "endTs", now);
    const lookback = ms(q, "lookback", 86400e3);
    const links = dependencyLinks(reader, endMs - lookback, endMs, q.get("service") || undefined);
    return json(200, envelope(links));
  }
  if (path === "/api/metrics/minstep") return json(200, envelope(MIN_STEP_MS));
  const m = /^\/api\/metrics\/(latencies|calls|errors)$/.exec(path);
  if (!m) return null;
  const metric = m[1] as RedMetric;
  const services = [...new Set(q.getAll("service").filter((s) => s !== ""))];
  if (services.length === 0) {
    throw new QueryParamError(
      "unable to parse param 'service': please provide at least one service name",
    );
  }
  const rq: RedQuery = {
    services,
    metric,
    endTs: time(q, "endTs", now),
    lookback: ms(q, "lookback", 3600e3),
    step: ms(q, "step", 5000),
    ratePer: ms(q, "ratePer", 600e3),
    groupByOperation: bool(q, "groupByOperation"),
  };
  if (metric === "latencies") {
    const raw = q.get("quantile") ?? "";
    const v = Number(raw);
    if (raw === "" || !(v > 0 && v <= 1)) {
      throw new QueryParamError("unable to parse param 'quantile': expected a number in (0, 1]");
    }
    rq.quantile = v;
  }
  const ks = kinds(q);
  // The first window starts one ratePer before the first step; the last ends at endTs.
  const from = rq.endTs - rq.lookback - Math.max(rq.ratePer, MIN_STEP_MS);
  const rows = new Map(services.map((s) => [s, redRows(reader, s, ks, from, rq.endTs)]));
  return json(200, redFamily(rq, rows));
}
