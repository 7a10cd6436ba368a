// Node's own handles as console resources a user can read: named (setTimeout 100ms, Server
// 127.0.0.1:3000), grouped under one parent resource per kind, linked to the task that made them.
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

/**
 * Starts showing handles. Each handle is a resource (concrete type its name, kind Net / timer /
 * Process / Fs) whose parent is its group's resource (node::timers, node::sockets, ...), with
 * `ref` (whether it keeps the process alive), `task` (the id of the task that created it, when
 * one did) and, for timers, `duration`. Returns the function that stops it.
 */
export function watchHandles(): () => void {
  const groups = new Map<string, Resource>();
  const live = new Map<number, [Resource, Resource]>();
  let busy = false;
  const groupFor = (name: string, kind: string): Resource => {
    let g = groups.get(name);
    if (g === undefined) {
      g = new Resource({
        target: "node::handles",
        concreteType: `node::${name.replace(/ /g, "_")}`,
        kind,
      });
      groups.set(name, g);
    }
    return g;
  };
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      const k = KINDS[type];
      if (k === undefined || busy) return;
      const r = resource as HandleLike;
      // Timers unref'd from birth are Node's own (socket and keep-alive timeouts, one per
      // request on a keep-alive connection): they keep nothing alive, and showing each cost
      // ~30 µs a request in the hello-world bench.
      if (type === "Timeout" && typeof r.hasRef === "function" && !r.hasRef()) return;
      busy = true;
      try {
        const group = groupFor(k.group, k.kind);
        const res = new Resource({
          target: "node::handles",
          concreteType: k.name(r),
          kind: k.kind,
          parent: group,
        });
        if (!res.enabled) return;
        live.set(asyncId, [res, group]);
        group.update("live", 1, "add");
        if (typeof r.hasRef === "function") res.update("ref", r.hasRef());
        const task = currentTask();
        if (task !== undefined && !task.isRoot) res.update("task", task.id);
        if (type === "Timeout" && typeof r._idleTimeout === "number")
          res.update("duration", Math.max(0, Math.round(r._idleTimeout)), "override", "ms");
      } catch {
        // instrumentation never throws into the program
      } finally {
        busy = false;
      }
    },
    destroy(asyncId) {
      const entry = live.get(asyncId);
      if (entry === undefined) return;
      live.delete(asyncId);
      busy = true;
      try {
        entry[0].close();
        entry[1].update("live", 1, "sub");
      } catch {
        // as above
      } finally {
        busy = false;
      }
    },
    trackPromises: false,
  } as Parameters<typeof createHook>[0]);
  hook.enable();
  return () => {
    hook.disable();
    for (const [r] of live.values()) r.close();
    for (const g of groups.values()) g.close();
    live.clear();
    groups.clear();
  };
}
