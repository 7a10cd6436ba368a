// Column sorting shared by the Statistics and Spans Table views: a column and a direction, and a
// header cell that toggles them.
export interface SortState<K extends string> {
  key: K;
  desc: boolean;
}

export function nextSort<K extends string>(s: SortState<K>, key: K): SortState<K> {
  return s.key === key ? { key, desc: !s.desc } : { key, desc: true };
}

export function compareBy<T>(get: (x: T) => number | string, desc: boolean) {
  return (a: T, b: T) => {
    const x = get(a);
    const y = get(b);
    const c =
      typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return desc ? -c : c;
  };
}
