// Event-loop health for the header, read from the resource a Periscope server publishes for
// the loop; other servers (a Rust program) have none, and the header then leaves it out.
import type { LoopHealth, Resource } from "./model.ts";

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

function parse(attr: string): { name: string; value: number; unit: string } | undefined {
  const m = /^([\w.]+)=(-?\d+(?:\.\d+)?)([a-zµ%]*)$/i.exec(attr);
  if (!m) return undefined;
  return { name: (m[1] as string).toLowerCase(), value: Number(m[2]), unit: m[3] ?? "" };
}

export function readLoopHealth(resources: Iterable<Resource>): LoopHealth | undefined {
  for (const r of resources) {
    if (!/event.?loop/i.test(`${r.concreteType} ${r.kind}`)) continue;
    const h: LoopHealth = {
      delayP50: undefined,
      delayP99: undefined,
      delayMax: undefined,
      utilization: undefined,
    };
    for (const attr of r.attributes) {
      const a = parse(attr);
      if (!a) continue;
      if (a.name.includes("util")) {
        h.utilization = a.unit === "%" || a.value > 1 ? a.value / 100 : a.value;
      } else if (a.name.includes("delay")) {
        const ns = a.value * (UNIT_NS[a.unit] ?? 1);
        if (a.name.includes("p50") || a.name.includes("mean")) h.delayP50 = ns;
        else if (a.name.includes("p99")) h.delayP99 = ns;
        else if (a.name.includes("max")) h.delayMax = ns;
      }
    }
    return h;
  }
  return undefined;
}
