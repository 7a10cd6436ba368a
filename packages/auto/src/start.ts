// Installs everything @periscope/auto does, once per process: one global subscriber with the
// console layer, fmt logs and OTLP as the environment asks, and the task instrumentation.
import { builder, type ConsoleSubscriber } from "@periscope/console-subscriber";
import { configureRuntime } from "@periscope/runtime";
import {
  EnvFilter,
  type Filter,
  fmtLayer,
  type Layer,
  registry,
} from "@periscope/tracing-subscriber";
import { type AutoConfig, configFromEnv, type Env } from "./env.ts";
import { watchGc } from "./gc.ts";
import { watchHandles } from "./handles.ts";
import { instrumentHttp2 } from "./http2.ts";
import { type Otlp, startOtlp } from "./otlp.ts";
import { instrumentOutgoing } from "./outgoing.ts";
import { ignoreConnectionsTo, instrumentRequests } from "./requests.ts";
import { registerSpawnSites } from "./spawn-hooks.ts";

export interface AutoHandle {
  readonly config: Readonly<AutoConfig>;
  /** The running console, when on. */
  readonly console: ConsoleSubscriber | undefined;
  /** Resolves with the console's port once it listens (undefined when off). */
  readonly ready: Promise<number | undefined>;
  /** How this instance was started: by --import, by `periscope attach`, or by a call. */
  readonly via: string;
  /** Stops the instrumentation and the console, and flushes OTLP. */
  stop(): Promise<void>;
}

/** The console's cap on retained completed tasks, unless PERISCOPE_CONSOLE_MAX_RETAINED says. */
export const AUTO_MAX_RETAINED = 20_000;

/** Where the running instance lives: one per process, even with two copies of this package. */
const KEY = Symbol.for("periscope.auto");
type Global = { [KEY]?: AutoHandle };

/** The instance running in this process, if any. */
export function running(): AutoHandle | undefined {
  return (globalThis as Global)[KEY];
}

function warn(message: string): void {
  process.emitWarning(message, { code: "PERISCOPE_AUTO_ENV" });
}

/** A part that cannot start is reported and left off: the program itself always runs. */
function failed(code: string, message: string): void {
  process.emitWarning(message, { code });
}

/**
 * Starts @periscope/auto from the environment (see README). A second call returns the instance
 * already running, so importing it twice (or attaching to a process started with it) is harmless.
 */
export function start(opts: { env?: Env; via?: string } = {}): AutoHandle {
  const existing = running();
  if (existing !== undefined) return existing;
  const env = opts.env ?? process.env;
  const config = configFromEnv(env, warn);
  const layers: [Layer, Filter | undefined][] = [];
  let consoleSub: ConsoleSubscriber | undefined;
  if (config.console) {
    try {
      consoleSub = builder()
        // A task per request: an hour of them would be millions. The newest 20,000 completed
        // tasks (and closed resources, async ops) stay; PERISCOPE_CONSOLE_MAX_RETAINED changes it.
        .maxRetained(AUTO_MAX_RETAINED)
        // PERISCOPE_CONSOLE_* (a bad value warns and falls back to its default).
        .withDefaultEnv(env as NodeJS.ProcessEnv)
        .spawn();
      config.consoleBind = consoleSub.options.bind;
      layers.push([consoleSub.layer, consoleSub.filter]);
    } catch (e) {
      failed(
        "PERISCOPE_AUTO_CONSOLE_FAILED",
        `the console could not start (${(e as Error).message}); it stays off`,
      );
    }
  }
  if (config.log !== undefined) {
    const filter = EnvFilter.fromEnv({ environment: env, defaultDirective: "info" });
    layers.push([fmtLayer({ env }), filter]);
  }
  let otlp: Otlp | undefined;
  if (config.otlp) {
    try {
      otlp = startOtlp(env, config.otlpRuntime);
      layers.push([otlp.layer, otlp.filter]);
    } catch (e) {
      failed(
        "PERISCOPE_AUTO_OTLP_FAILED",
        `OTLP export could not start (${(e as Error).message}); check the OTEL_* variables. Traces stay off`,
      );
    }
  }
  const reg = registry();
  for (const [layer, filter] of layers) reg.with(layer, filter);
  reg.init();
  configureRuntime();
  // Spawn locations from the call sites, not a stack capture per spawn (README, "Spawn locations"):
  // modules loaded from now on (with --import: all of the program's own).
  if (consoleSub !== undefined && config.spawnSites) registerSpawnSites();
  const stops = [instrumentRequests(), instrumentHttp2(), instrumentOutgoing()];
  if (consoleSub !== undefined) {
    consoleSub.ready.then(
      (port) => port !== undefined && ignoreConnectionsTo(port),
      () => {},
    );
    if (config.handles) stops.push(watchHandles());
    stops.push(watchGc());
  }
  const handle: AutoHandle = {
    config: Object.freeze(config),
    console: consoleSub,
    ready: consoleSub?.ready.catch(() => undefined) ?? Promise.resolve(undefined),
    via: opts.via ?? "import",
    async stop() {
      for (const s of stops.splice(0)) s();
      consoleSub?.close();
      await otlp?.shutdown();
      if (running() === handle) delete (globalThis as Global)[KEY];
    },
  };
  (globalThis as Global)[KEY] = handle;
  return handle;
}
