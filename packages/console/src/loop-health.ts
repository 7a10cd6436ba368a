// What a Periscope server carries beyond console-api, as attributes of two synthetic resources:
// node::EventLoop (delay percentiles, utilization) and periscope::Warnings (long polls). Other
// servers (a Rust program) have neither, and the header and warnings pane then leave them out.
import type {
  LoopHealth,
  Resource,
  ServerLongPoll,
  ServerRetained,
  ServerWarnings,
} from "./model.ts";
import { sanitize } from "./sanitize.ts";

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };
const UNIT_BYTES: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 };

type Attrs = Resource["attrs"];

function num(attrs: Attrs, name: string): { n: number; unit: string } | undefined {
  const a = attrs.get(name);
  if (!a || typeof a.value === "string" || typeof a.value === "boolean") return undefined;
  return { n: Number(a.value), unit: a.unit };
}

function ns(attrs: Attrs, name: string): number | undefined {
  const a = num(attrs, name);
  return a ? a.n * (UNIT_NS[a.unit] ?? 1) : undefined;
}

export function readLoopHealth(resources: Iterable<Resource>): LoopHealth | undefined {
  for (const r of resources) {
    if (!/event.?loop/i.test(`${r.concreteType} ${r.kind}`)) continue;
    const u = num(r.attrs, "utilization");
    return {
      delayP50: ns(r.attrs, "delay.p50"),
      delayP99: ns(r.attrs, "delay.p99"),
      delayMax: ns(r.attrs, "delay.max"),
      utilization: u === undefined ? undefined : u.unit === "%" || u.n > 1 ? u.n / 100 : u.n,
    };
  }
  return undefined;
}

function longPoll(attrs: Attrs, prefix: string): ServerLongPoll | undefined {
  const durationNs = ns(attrs, `${prefix}.duration`);
  if (durationNs === undefined) return undefined;
  // Older Periscope servers sent the span id as `task_id`, which read like the runtime task id.
  const id = (attrs.get(`${prefix}.span_id`) ?? attrs.get(`${prefix}.task_id`))?.value;
  return {
    taskSpanId: typeof id === "bigint" ? id : typeof id === "number" ? BigInt(id) : undefined,
    task: sanitize(attrs.get(`${prefix}.task`)?.value ?? ""),
    durationNs,
    location: sanitize(attrs.get(`${prefix}.location`)?.value ?? ""),
  };
}

function bytes(attrs: Attrs, name: string): number | undefined {
  const a = num(attrs, name);
  return a === undefined || !Number.isFinite(a.n) ? undefined : a.n * (UNIT_BYTES[a.unit] ?? 1);
}

function retained(attrs: Attrs): ServerRetained | undefined {
  const held = bytes(attrs, "retained.bytes");
  if (held === undefined) return undefined;
  const budget = bytes(attrs, "retained.budget");
  const dropped = num(attrs, "retained.dropped_for_budget")?.n ?? 0;
  return {
    bytes: held,
    // The server sends 0 for no budget.
    budgetBytes: budget === undefined || budget <= 0 ? undefined : budget,
    droppedForBudget: Number.isFinite(dropped) ? dropped : 0,
  };
}

export function readServerWarnings(resources: Iterable<Resource>): ServerWarnings | undefined {
  for (const r of resources) {
    if (r.concreteType !== "periscope::Warnings") continue;
    return {
      longPolls: num(r.attrs, "long_polls")?.n ?? 0,
      thresholdNs: ns(r.attrs, "long_poll.threshold"),
      last: longPoll(r.attrs, "last_long_poll"),
      worst: longPoll(r.attrs, "worst_long_poll"),
      retained: retained(r.attrs),
    };
  }
  return undefined;
}
