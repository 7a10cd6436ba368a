// Human formats for microsecond durations and timestamps, and the duration syntax the search
// form accepts (Jaeger's: 1.2s, 100ms, 500us).

export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return "?";
  if (us < 1000) return `${trim(us)}µs`;
  if (us < 1_000_000) return `${trim(us / 1000)}ms`;
  if (us < 60_000_000) return `${trim(us / 1_000_000)}s`;
  const m = Math.floor(us / 60_000_000);
  return `${m}m ${trim((us - m * 60_000_000) / 1_000_000)}s`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2).replace(/\.?0+$/, "");
}

export function formatTime(us: number): string {
  const d = new Date(us / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatRelative(nowMs: number, us: number): string {
  const s = Math.max(0, Math.round(nowMs / 1000 - us / 1_000_000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

const UNITS: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000, m: 60_000_000 };

/** Checks a duration typed in the form; returns an error sentence or null. */
export function checkDuration(text: string): string | null {
  if (text.trim() === "") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m)\s*$/.exec(text);
  if (!m || UNITS[m[2] ?? ""] === undefined) return "use a number and a unit: 500us, 100ms, 1.2s";
  return null;
}

/** Bytes in powers of 1024, as the CLI's --max-size reads them: 334 MiB, 1 GiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "?";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

/** A retention age in ms as the CLI takes it: 7d, 12h, 30m. */
export function formatAge(ms: number): string {
  if (ms % 86400e3 === 0) return `${ms / 86400e3}d`;
  if (ms % 3600e3 === 0) return `${ms / 3600e3}h`;
  return `${Math.round(ms / 60e3)}m`;
}
