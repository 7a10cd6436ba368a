// Byte counts as the console shows them: binary units, one decimal under 10 of a unit.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `n` bytes in the largest unit that keeps the number at least 1, e.g. "8.0 MiB", "512 KiB". */
export function formatBytes(n: number): string {
  let v = Number.isFinite(n) && n > 0 ? n : 0;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 || v >= 10 ? Math.round(v).toString() : v.toFixed(1);
  return `${text} ${UNITS[u]}`;
}
