// Node's own handles (sockets, servers, timers, child processes...) as console resources, through
// an opt-in async_hooks init/destroy hook, so a user can see what keeps the process alive.
import { createHook } from "node:async_hooks";
import { userLocation } from "./location.ts";
import { Resource } from "./resource.ts";

export interface NodeHandleOptions {
  /** async_hooks resource types to show (default: sockets, servers, pipes, timers, processes, signals). */
  types?: readonly string[];
  /**
   * Record where user code created each handle (`loc.*`): a deeper stack capture per handle
   * (about 10 µs), worth it when hunting what keeps a process alive. Default false.
   */
  locations?: boolean;
}

const DEFAULT_TYPES: Record<string, string> = {
  TCPWRAP: "Net",
  TCPSERVERWRAP: "Net",
  PIPEWRAP: "Net",
  PIPESERVERWRAP: "Net",
  UDPWRAP: "Net",
  TTYWRAP: "Net",
  Timeout: "timer",
  PROCESSWRAP: "Process",
  SIGNALWRAP: "Signal",
  FSEVENTWRAP: "Fs",
  STATWATCHER: "Fs",
};

interface MaybeRef {
  hasRef?: () => boolean;
  _idleTimeout?: number;
  _repeat?: number | null;
}

/**
 * Starts showing Node handles as `runtime.resource` spans (target "runtime::node", concrete_type
 * the async_hooks type, kind Net/timer/Process/Signal/Fs, state `ref` = keeps the process alive).
 * Each handle costs a span while it lives. Returns a function that stops watching.
 */
export function watchNodeHandles(opts: NodeHandleOptions = {}): () => void {
  const kinds = new Map<string, string>();
  for (const t of opts.types ?? Object.keys(DEFAULT_TYPES))
    kinds.set(t, DEFAULT_TYPES[t] ?? "Other");
  const live = new Map<number, Resource>();
  let busy = false;
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      const kind = kinds.get(type);
      if (kind === undefined || busy) return;
      busy = true;
      try {
        const res = new Resource(
          { target: "runtime::node", concreteType: type, kind },
          undefined,
          opts.locations ? userLocation : undefined,
        );
        if (!res.enabled) return;
        live.set(asyncId, res);
        const r = resource as MaybeRef;
        if (typeof r.hasRef === "function") res.update("ref", r.hasRef());
        if (type === "Timeout" && typeof r._idleTimeout === "number") {
          res.update("duration", Math.max(0, Math.round(r._idleTimeout)), "override", "ms");
          res.update("repeat", typeof r._repeat === "number");
        }
      } catch {
        // instrumentation never throws into the program
      } finally {
        busy = false;
      }
    },
    destroy(asyncId) {
      const res = live.get(asyncId);
      if (res === undefined) return;
      live.delete(asyncId);
      busy = true;
      try {
        res.close();
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
    for (const r of live.values()) r.close();
    live.clear();
  };
}
