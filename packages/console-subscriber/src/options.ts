// Options, their defaults (upstream console-subscriber's where they exist) and the environment
// variables that set them. Bad env values warn with a code and fall back; bad code arguments throw.
import type { Clock } from "./clock.ts";

export interface ConsoleOptions {
  /** host:port to serve on; port 0 picks a free one. */
  bind: string;
  /** Whether to start the gRPC server (false: record only, or drive it yourself in tests). */
  serve: boolean;
  /** How long completed tasks, resources and async ops stay visible. */
  retentionMs: number;
  /**
   * At most this many completed tasks stay visible (and as many closed resources and async ops),
   * the oldest going first even within retention: a cap for programs that make a task per
   * request. Default unlimited.
   */
  maxRetained: number;
  publishIntervalMs: number;
  /** Record every published Update here (see the recording format in console-api). */
  recordPath: string | undefined;
  /** Queue capacity between the layer and the aggregator; beyond it events are dropped and counted. */
  bufferCapacity: number;
  /** A poll at least this long is a long poll (it blocked the event loop). */
  longPollThresholdMs: number;
  /** Histogram ceilings in ns; longer durations are counted as outliers. */
  pollDurationMaxNs: number;
  scheduledDurationMaxNs: number;
  /** Bytes a client may leave unread before it is dropped. */
  clientMaxPendingBytes: number;
  /** Sample event-loop delay and utilization (perf_hooks) into a node::EventLoop resource. */
  eventLoopMetrics: boolean;
  /** Time source; tests inject a manual clock. */
  clock: Clock | undefined;
  /** Publish on a timer (false: call tick() yourself). */
  timer: boolean;
}

export const DEFAULTS: Readonly<Omit<ConsoleOptions, "clock">> = Object.freeze({
  bind: "127.0.0.1:6669",
  serve: true,
  retentionMs: 60 * 60 * 1000,
  maxRetained: Number.POSITIVE_INFINITY,
  publishIntervalMs: 1000,
  recordPath: undefined,
  bufferCapacity: 1024 * 100,
  longPollThresholdMs: 50,
  pollDurationMaxNs: 1_000_000_000,
  scheduledDurationMaxNs: 1_000_000_000,
  clientMaxPendingBytes: 16 * 1024 * 1024,
  eventLoopMetrics: true,
  timer: true,
});

export const ENV = {
  bind: "PERISCOPE_CONSOLE_BIND",
  retention: "PERISCOPE_CONSOLE_RETENTION",
  maxRetained: "PERISCOPE_CONSOLE_MAX_RETAINED",
  publishInterval: "PERISCOPE_CONSOLE_PUBLISH_INTERVAL",
  recordPath: "PERISCOPE_CONSOLE_RECORD_PATH",
  bufferCapacity: "PERISCOPE_CONSOLE_BUFFER_CAPACITY",
} as const;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** "1h", "90s", "1m30s", "250ms"; a bare number is seconds (as tokio-console's humantime reads). */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|sec|min|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? Number.NaN);
    matched = re.lastIndex;
    while (t[re.lastIndex] === " ") re.lastIndex++;
  }
  return matched > 0 && matched === t.length && Number.isFinite(total) ? total : undefined;
}

/** Splits "host:port", "[::1]:port" or ":port" (all interfaces is never implied: host defaults to 127.0.0.1). */
export function parseBind(text: string): { host: string; port: number } | undefined {
  const t = text.trim().replace(/^http:\/\//, "");
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(t);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

function warn(variable: string, value: string, expected: string): void {
  process.emitWarning(
    `${variable}=${JSON.stringify(value.slice(0, 100))} is not ${expected}; using the default`,
    { code: "PERISCOPE_CONSOLE_ENV" },
  );
}

/** Options from the environment; only variables that are set (and valid) appear. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ConsoleOptions> {
  const out: Partial<ConsoleOptions> = {};
  const bind = env[ENV.bind];
  if (bind !== undefined && bind !== "") {
    if (parseBind(bind)) out.bind = bind;
    else warn(ENV.bind, bind, "host:port (e.g. 127.0.0.1:6669)");
  }
  const ret = env[ENV.retention];
  if (ret !== undefined && ret !== "") {
    const ms = parseDuration(ret);
    if (ms !== undefined && ms >= 0) out.retentionMs = ms;
    else warn(ENV.retention, ret, "a duration (e.g. 1h, 10s)");
  }
  const max = env[ENV.maxRetained];
  if (max !== undefined && max !== "") {
    const n = Number(max);
    if (Number.isSafeInteger(n) && n >= 0) out.maxRetained = n;
    else warn(ENV.maxRetained, max, "a whole number of tasks (e.g. 100000)");
  }
  const pub = env[ENV.publishInterval];
  if (pub !== undefined && pub !== "") {
    const ms = parseDuration(pub);
    if (ms !== undefined && ms >= 1) out.publishIntervalMs = ms;
    else warn(ENV.publishInterval, pub, "a duration of at least 1ms (e.g. 1s)");
  }
  const rec = env[ENV.recordPath];
  if (rec !== undefined && rec !== "") out.recordPath = rec;
  const cap = env[ENV.bufferCapacity];
  if (cap !== undefined && cap !== "") {
    const n = Number(cap);
    if (Number.isSafeInteger(n) && n >= 1) out.bufferCapacity = n;
    else warn(ENV.bufferCapacity, cap, "a positive integer");
  }
  return out;
}

/** Throws a RangeError with a code for option values that cannot work. */
export function validate(o: ConsoleOptions): void {
  const bad = (what: string): never => {
    const e = new RangeError(`PERISCOPE_CONSOLE_OPTION: ${what}`) as RangeError & { code: string };
    e.code = "PERISCOPE_CONSOLE_OPTION";
    throw e;
  };
  if (parseBind(o.bind) === undefined) bad(`bind "${o.bind}" is not host:port`);
  if (!(o.retentionMs >= 0)) bad("retention must be >= 0 ms");
  if (!(o.maxRetained >= 0)) bad("max retained must be >= 0");
  if (!(o.publishIntervalMs >= 1)) bad("publish interval must be >= 1 ms");
  if (!Number.isSafeInteger(o.bufferCapacity) || o.bufferCapacity < 1)
    bad("buffer capacity must be a positive integer");
  if (!(o.longPollThresholdMs > 0)) bad("long-poll threshold must be > 0 ms");
  for (const v of [o.pollDurationMaxNs, o.scheduledDurationMaxNs])
    if (!Number.isSafeInteger(v) || v < 2) bad("histogram maxima must be integers >= 2 ns");
  if (!(o.clientMaxPendingBytes >= 1024)) bad("client pending-bytes cap must be >= 1024");
}
