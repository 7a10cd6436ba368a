// Node's own handles as console resources a user can read: named (setTimeout 100ms), grouped
// under one parent resource per kind, linked to the task that made them; the short-lived counted.
import { createHook } from "node:async_hooks";
import { currentTask, Resource } from "@periscope/runtime";

interface Kind {
  group: string;
  kind: string;
  name: (r: HandleLike) => string;
}

interface HandleLike {
  hasRef?: () => boolean;
  _idleTimeout?: number;
  _repeat?: number | null;
  constructor?: { name?: string };
}

function timerName(r: HandleLike): string {
  const ms = typeof r._idleTimeout === "number" ? Math.max(0, Math.round(r._idleTimeout)) : 0;
  return `${typeof r._repeat === "number" ? "setInterval" : "setTimeout"} ${ms}ms`;
}

const KINDS: Record<string, Kind> = {
  Timeout: { group: "timers", kind: "timer", name: timerName },
  TCPSERVERWRAP: { group: "servers", kind: "Net", name: () => "Server (tcp)" },
  PIPESERVERWRAP: { group: "servers", kind: "Net", name: () => "Server (pipe)" },
  TCPWRAP: { group: "sockets", kind: "Net", name: () => "Socket (tcp)" },
  PIPEWRAP: { group: "sockets", kind: "Net", name: () => "Socket (pipe)" },
  UDPWRAP: { group: "sockets", kind: "Net", name: () => "Socket (udp)" },
  PROCESSWRAP: { group: "child processes", kind: "Process", name: () => "ChildProcess" },
  FSEVENTWRAP: { group: "fs watchers", kind: "Fs", name: () => "fs.watch" },
  STATWATCHER: { group: "fs watchers", kind: "Fs", name: () => "fs.watchFile" },
};

/** How often pending handles are promoted to resources, and the groups' counts published. */
const SWEEP_MS = 1000;

interface Pending {
  kind: Kind;
  type: string;
  handle: HandleLike;
  /** The id of the task that created it, if a task did. */
  task: bigint | undefined;
  group: Group;
}

interface Group {
  res: Resource;
  created: number;
  live: number;
  published: [number, number];
}

/**
 * Starts showing handles. A handle still open at the next sweep (up to a second after it was
 * made) becomes a resource (concrete type its name, kind Net / timer / Process / Fs), a child of
 * its group's resource (node::timers, node::sockets, ...), with `ref` (whether it keeps the
 * process alive), `task` (the task that created it) and, for timers, `duration`. Shorter-lived
 * ones (a request's 1 ms timer, a keep-alive timeout re-armed per request) are only counted in
 * their group's `created` and `live`: a resource each, kept for the console's retention, cost
 * more than the request. Returns the function that stops it.
 */
export function watchHandles(sweepMs = SWEEP_MS): () => void {
  const groups = new Map<string, Group>();
  const pending = new Map<number, Pending>();
  const live = new Map<number, [Resource, Group]>();
  let busy = false;
  const groupFor = (name: string, kind: string): Group => {
    let g = groups.get(name);
    if (g === undefined) {
      const res = new Resource({
        target: "node::handles",
        concreteType: `node::${name.replace(/ /g, "_")}`,
        kind,
      });
      g = { res, created: 0, live: 0, published: [0, 0] };
      groups.set(name, g);
    }
    return g;
  };
  const promote = (p: Pending): Resource | undefined => {
    const res = new Resource({
      target: "node::handles",
      concreteType: p.kind.name(p.handle),
      kind: p.kind.kind,
      parent: p.group.res,
    });
    if (!res.enabled) return undefined;
    const h = p.handle;
    if (typeof h.hasRef === "function") res.update("ref", h.hasRef());
    if (p.task !== undefined) res.update("task", p.task);
    if (p.type === "Timeout" && typeof h._idleTimeout === "number")
      res.update("duration", Math.max(0, Math.round(h._idleTimeout)), "override", "ms");
    return res;
  };
  const sweep = (): void => {
    busy = true;
    try {
      for (const [id, p] of pending) {
        pending.delete(id);
        // A timer that fired or was cleared may not have reached its destroy hook yet.
        if (p.type === "Timeout" && (p.handle as { _destroyed?: boolean })._destroyed === true)
          continue;
        const res = promote(p);
        if (res !== undefined) live.set(id, [res, p.group]);
      }
      for (const g of groups.values()) {
        if (g.published[0] !== g.created) g.res.update("created", g.created, "override");
        if (g.published[1] !== g.live) g.res.update("live", g.live, "override");
        g.published = [g.created, g.live];
      }
    } catch {
      // instrumentation never throws into the program
    } finally {
      busy = false;
    }
  };
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      const k = KINDS[type];
      if (k === undefined || busy) return;
      try {
        const group = groupFor(k.group, k.kind);
        group.created++;
        group.live++;
        const t = currentTask();
        pending.set(asyncId, {
          kind: k,
          type,
          handle: resource as HandleLike,
          task: t === undefined || t.isRoot ? undefined : t.id,
          group,
        });
      } catch {
        // as above
      }
    },
    destroy(asyncId) {
      const p = pending.get(asyncId);
      if (p !== undefined) {
        pending.delete(asyncId);
        p.group.live--;
        return;
      }
      const entry = live.get(asyncId);
      if (entry === undefined) return;
      live.delete(asyncId);
      entry[1].live--;
      busy = true;
      try {
        entry[0].close();
      } catch {
        // as above
      } finally {
        busy = false;
      }
    },
    trackPromises: false,
  } as Parameters<typeof createHook>[0]);
  // Made before the hook is on: the sweep's own timer is not the program's.
  const timer = setInterval(sweep, sweepMs);
  timer.unref();
  hook.enable();
  return () => {
    clearInterval(timer);
    hook.disable();
    for (const [r] of live.values()) r.close();
    for (const g of groups.values()) g.res.close();
    pending.clear();
    live.clear();
    groups.clear();
  };
}
