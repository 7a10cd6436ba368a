// A table header cell that sorts by its column: click once for descending, again for ascending.
import { nextSort, type SortState } from "../lib/sorting.ts";

export function SortHeader<K extends string>(props: {
  col: K;
  label: string;
  sort: SortState<K>;
  onSort: (s: SortState<K>) => void;
  numeric?: boolean;
}) {
  const active = props.sort.key === props.col;
  return (
    <th
      scope="col"
      className={props.numeric ? "num" : undefined}
      aria-sort={active ? (props.sort.desc ? "descending" : "ascending") : "none"}
    >
      <button
        type="button"
        className="sort-button"
        onClick={() => props.onSort(nextSort(props.sort, props.col))}
      >
        {props.label}
        <span aria-hidden="true">{active ? (props.sort.desc ? " ▾" : " ▴") : ""}</span>
      </button>
    </th>
  );
}
