// Verbosity levels and level filters. Levels are small integers so that the hot-path check
// "is this level enabled at all?" is one integer compare against the global max-level hint.

/** TRACE < DEBUG < INFO < WARN < ERROR, as in tokio's tracing (TRACE is the most verbose). */
export const Level = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
} as const;
export type Level = (typeof Level)[keyof typeof Level];

/**
 * A filter is the least severe level it lets through; OFF (5) lets nothing through.
 * `level >= filter` means enabled.
 */
export const LevelFilter = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
  OFF: 5,
} as const;
export type LevelFilter = (typeof LevelFilter)[keyof typeof LevelFilter];

const NAMES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"] as const;

export function levelName(level: Level | LevelFilter): string {
  return NAMES[level] ?? "OFF";
}

/** Parses "info", "WARN", "off", or tracing's numeric forms ("0" = off, "1" = error … "5" = trace). */
export function parseLevelFilter(text: string): LevelFilter | undefined {
  const t = text.trim().toLowerCase();
  switch (t) {
    case "trace":
      return LevelFilter.TRACE;
    case "debug":
      return LevelFilter.DEBUG;
    case "info":
      return LevelFilter.INFO;
    case "warn":
    case "warning":
      return LevelFilter.WARN;
    case "error":
      return LevelFilter.ERROR;
    case "off":
    case "0":
      return LevelFilter.OFF;
    case "1":
      return LevelFilter.ERROR;
    case "2":
      return LevelFilter.WARN;
    case "3":
      return LevelFilter.INFO;
    case "4":
      return LevelFilter.DEBUG;
    case "5":
      return LevelFilter.TRACE;
    default:
      return undefined;
  }
}
