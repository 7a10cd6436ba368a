// Node's own handles as console resources a user can read: named (setTimeout 100ms), grouped
// under one parent resource per kind, linked to the task that made them; the short-lived counted.
import { createHook } from "node:async_hooks";
import { currentTask, Resource } from "@periscope/runtime";

interface HandleLike {
  hasRef?: () => boolean;
  _idleTimeout?: number;
  _repeat?: number | null;
  _destroyed?: boolean;
}

interface Kind {
  /** Index into a watcher's groups. */
  i: number;
  group: string;
  kind: string;
  /** A JS Timeout (its own `_destroyed` says when it ends), not a native handle. */
  timer: boolean;
  name: (r: HandleLike) => string;
}

function timerName(r: HandleLike): string {
  const ms = typeof r._idleTimeout === "number" ? Math.max(0, Math.round(r._idleTimeout)) : 0;
  return `${typeof r._repeat === "number" ? "setInterval" : "setTimeout"} ${ms}ms`;
}

const GROUPS = ["timers", "servers", "sockets", "child processes", "fs watchers"];
const kind = (group: string, k: string, name: Kind["name"]): Kind => ({
  i: GROUPS.indexOf(group),
  group,
  kind: k,
  timer: group === "timers",
  name,
});
const KINDS = new Map<string, Kind>([
  ["Timeout", kind("timers", "timer", timerName)],
  ["TCPSERVERWRAP", kind("servers", "Net", () => "Server (tcp)")],
  ["PIPESERVERWRAP", kind("servers", "Net", () => "Server (pipe)")],
  ["TCPWRAP", kind("sockets", "Net", () => "Socket (tcp)")],
  ["PIPEWRAP", kind("sockets", "Net", () => "Socket (pipe)")],
  ["UDPWRAP", kind("sockets", "Net", () => "Socket (udp)")],
  ["PROCESSWRAP", kind("child processes", "Process", () => "ChildProcess")],
  ["FSEVENTWRAP", kind("fs watchers", "Fs", () => "fs.watch")],
  ["STATWATCHER", kind("fs watchers", "Fs", () => "fs.watchFile")],
]);

/** How often pending handles are promoted to resources, and the groups' counts published. */
const SWEEP_MS = 1000;
/**
 * Pending entries (three slots each) past which closed ones are dropped before the sweep: kept
 * small so a per-request timer is let go before it survives a young-generation GC.
 */
const PRUNE_MIN = 3 * 512;

// A native handle's JS object (net.Socket, Server, ChildProcess, FSWatcher, dgram.Socket) is
// found through Node's owner symbol; it is set after the handle's init, so it is read later.
let ownerSymbol: symbol | undefined;
let dgramState: symbol | undefined;
const findSymbol = (o: object, description: string): symbol | undefined =>
  Object.getOwnPropertySymbols(o).find((s) => s.description === description);

/**
 * Whether a handle is still open, from JS state only: a Timeout's `_destroyed`, else its owner's
 * `destroyed` and `_handle` (dgram sockets keep theirs in a state object). A closed native
 * handle's own accessors may abort the process, so they are never asked. A handle with no owner
 * (an internal one) counts as closed: nothing says when it would close.
 */
function alive(h: HandleLike, k: Kind): boolean {
  if (k.timer) return h._destroyed !== true;
  ownerSymbol ??= findSymbol(h, "owner_symbol");
  if (ownerSymbol === undefined) return false;
  const o = (h as Record<symbol, unknown>)[ownerSymbol] as
    | { destroyed?: boolean; _handle?: unknown }
    | undefined;
  if (o === undefined || o === null || typeof o !== "object" || o.destroyed === true) return false;
  if (Object.hasOwn(o, "_handle")) return o._handle !== null && o._handle !== undefined;
  // dgram.Socket: `_handle` is a deprecated getter that warns.
  dgramState ??= findSymbol(o, "state symbol");
  const st = dgramState === undefined ? undefined : (o as Record<symbol, unknown>)[dgramState];
  return (st as { handle?: unknown } | undefined)?.handle != null;
}

interface Group {
  res: Resource;
  published: [number, number];
}

/**
 * Starts showing handles. A handle still open at the next sweep (up to a second after it was
 * made) becomes a resource (concrete type its name, kind Net / timer / Process / Fs), a child of
 * its group's resource (node::timers, node::sockets, ...), with `ref` (whether it keeps the
 * process alive), `task` (the task that created it) and, for timers, `duration`. Shorter-lived
 * ones (a request's 1 ms timer, a keep-alive timeout re-armed per request) are only counted in
 * their group's `created` and `live`: a resource each, kept for the console's retention, cost
 * more than the request.
 *
 * Only an init hook: a handle's end is found at the sweep from its JS state (see alive()), so
 * Node calls nothing of ours per destroyed async resource (8 per hello-world request: nextTicks,
 * a timer) and a resource closes at the first sweep after its handle did. Returns the stopper.
 */
export function watchHandles(sweepMs = SWEEP_MS): () => void {
  const groups: (Group | undefined)[] = GROUPS.map(() => undefined);
  const created: number[] = GROUPS.map(() => 0);
  const live: number[] = GROUPS.map(() => 0);
  // Made since the last sweep, three slots each: handle, kind, creating task's id (or undefined).
  let pending: unknown[] = [];
  let pruneAt = PRUNE_MIN;
  // Promoted and open at the last sweep: handle, kind, resource.
  let shown: unknown[] = [];
  let busy = false;
  const groupFor = (k: Kind): Group => {
    let g = groups[k.i];
    if (g === undefined) {
      const res = new Resource({
        target: "node::handles",
        concreteType: `node::${k.group.replace(/ /g, "_")}`,
        kind: k.kind,
      });
      g = { res, published: [0, 0] };
      groups[k.i] = g;
    }
    return g;
  };
  const promote = (h: HandleLike, k: Kind, task: bigint | undefined): Resource | undefined => {
    const res = new Resource({
      target: "node::handles",
      concreteType: k.name(h),
      kind: k.kind,
      parent: groupFor(k).res,
    });
    if (!res.enabled) return undefined;
    // Asked only of an open handle (see alive()).
    const ref = typeof h.hasRef === "function" ? h.hasRef() : undefined;
    if (typeof ref === "boolean") res.update("ref", ref);
    if (task !== undefined) res.update("task", task);
    if (k.timer && typeof h._idleTimeout === "number")
      res.update("duration", Math.max(0, Math.round(h._idleTimeout)), "override", "ms");
    return res;
  };
  /** Drops the pending handles that already closed, so a burst does not hold them a second. */
  const prune = (): void => {
    let n = 0;
    for (let j = 0; j < pending.length; j += 3) {
      if (!alive(pending[j] as HandleLike, pending[j + 1] as Kind)) continue;
      pending[n] = pending[j];
      pending[n + 1] = pending[j + 1];
      pending[n + 2] = pending[j + 2];
      n += 3;
    }
    pending.length = n;
    pruneAt = Math.max(PRUNE_MIN, 2 * n);
  };
  const sweep = (): void => {
    busy = true;
    try {
      const next: unknown[] = [];
      for (let j = 0; j < shown.length; j += 3) {
        const k = shown[j + 1] as Kind;
        if (alive(shown[j] as HandleLike, k)) next.push(shown[j], k, shown[j + 2]);
        else {
          live[k.i] = (live[k.i] as number) - 1;
          (shown[j + 2] as Resource).close();
        }
      }
      const batch = pending;
      pending = [];
      pruneAt = PRUNE_MIN;
      for (let j = 0; j < batch.length; j += 3) {
        const h = batch[j] as HandleLike;
        const k = batch[j + 1] as Kind;
        if (!alive(h, k)) continue;
        const res = promote(h, k, batch[j + 2] as bigint | undefined);
        if (res === undefined) continue;
        live[k.i] = (live[k.i] as number) + 1;
        next.push(h, k, res);
      }
      shown = next;
      for (const k of KINDS.values()) {
        const c = created[k.i] as number;
        if (c === 0) continue;
        const g = groupFor(k);
        const l = live[k.i] as number;
        if (g.published[0] !== c) g.res.update("created", c, "override");
        if (g.published[1] !== l) g.res.update("live", l, "override");
        g.published = [c, l];
      }
    } catch {
      // instrumentation never throws into the program
    } finally {
      busy = false;
    }
  };
  const hook = createHook({
    init(_asyncId, type, _trigger, resource) {
      const k = KINDS.get(type);
      if (k === undefined || busy) return;
      try {
        created[k.i] = (created[k.i] as number) + 1;
        const t = currentTask();
        pending.push(resource, k, t === undefined || t.isRoot ? undefined : t.id);
        if (pending.length >= pruneAt) prune();
      } catch {
        // as above
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
    for (let j = 2; j < shown.length; j += 3) (shown[j] as Resource).close();
    for (const g of groups) g?.res.close();
    pending = [];
    shown = [];
    groups.fill(undefined);
  };
}
