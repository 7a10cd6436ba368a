// The environment variables @periscope/auto reads (its only configuration), parsed once into a
// plain config; a bad value warns with a code and falls back, as everywhere in Periscope.

export type Env = Readonly<Record<string, string | undefined>>;

export interface AutoConfig {
  /** Serve the console (PERISCOPE_CONSOLE, default on). */
  console: boolean;
  /** Where the console listens (PERISCOPE_CONSOLE_BIND, default 127.0.0.1:6669; once started, where it does). */
  consoleBind: string;
  /** fmt logs to stdout, filtered by these directives (PERISCOPE_LOG); undefined: no logs. */
  log: string | undefined;
  /** Export traces over OTLP (OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_*ENDPOINT). */
  otlp: boolean;
  /** Also export runtime.spawn / runtime.resource / async-op spans (PERISCOPE_OTLP_RUNTIME=1). */
  otlpRuntime: boolean;
  /** Node handles (timers, sockets, servers, ...) as resources (PERISCOPE_AUTO_HANDLES, default on). */
  handles: boolean;
  /**
   * Spawn locations from a load-time rewrite of spawn() calls instead of a stack capture per
   * spawn (PERISCOPE_AUTO_SPAWN_SITES, default on).
   */
  spawnSites: boolean;
}

/** Every variable, for the README's table and for `periscope run`. */
export const AUTO_ENV = {
  console: "PERISCOPE_CONSOLE",
  consoleBind: "PERISCOPE_CONSOLE_BIND",
  log: "PERISCOPE_LOG",
  otlpRuntime: "PERISCOPE_OTLP_RUNTIME",
  handles: "PERISCOPE_AUTO_HANDLES",
  spawnSites: "PERISCOPE_AUTO_SPAWN_SITES",
} as const;

const OFF = new Set(["0", "false", "off", "no"]);
const ON = new Set(["1", "true", "on", "yes"]);

function flag(env: Env, name: string, dflt: boolean, warn: (m: string) => void): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return dflt;
  if (ON.has(raw)) return true;
  if (OFF.has(raw)) return false;
  warn(`${name}=${JSON.stringify(raw.slice(0, 40))} is not on/off (1/0); using ${dflt ? 1 : 0}`);
  return dflt;
}

/**
 * OTLP is on when the standard variables ask for it: OTEL_TRACES_EXPORTER lists "otlp", or (with
 * OTEL_TRACES_EXPORTER unset) an OTLP endpoint is given. "none" or OTEL_SDK_DISABLED turn it off.
 */
function otlpWanted(env: Env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporters !== undefined && exporters !== "")
    return exporters.split(",").some((e) => e.trim() === "otlp");
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim(),
  );
}

export function configFromEnv(env: Env, warn: (m: string) => void): AutoConfig {
  const log = env.PERISCOPE_LOG?.trim();
  return {
    console: flag(env, AUTO_ENV.console, true, warn),
    consoleBind: env.PERISCOPE_CONSOLE_BIND?.trim() || "127.0.0.1:6669",
    log: log === undefined || log === "" ? undefined : log,
    otlp: otlpWanted(env),
    otlpRuntime: flag(env, AUTO_ENV.otlpRuntime, false, warn),
    handles: flag(env, AUTO_ENV.handles, true, warn),
    spawnSites: flag(env, AUTO_ENV.spawnSites, true, warn),
  };
}
