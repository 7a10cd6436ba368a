// The `?` screen: every key, in one place.
import { headerLine } from "./header.ts";
import type { Scene } from "./scene.ts";
import { blank, box, compose } from "./text.ts";

const KEYS: Array<[string, string]> = [
  ["t / r", "tasks view / resources view"],
  ["left right (h l)", "choose the sort column"],
  ["i", "invert the sort order"],
  ["up down (k j)", "move the selection"],
  ["gg / G, Home / End", "first / last row"],
  ["PgUp / PgDn", "one page up / down"],
  ["Enter", "details of the selected task or resource; in a resource, its op's task"],
  ["Esc", "back; clears the filter in a table"],
  ["/", "filter by name, field or location (Enter keeps it, Esc clears it)"],
  ["T", "tasks as a tree, parent and child by spawn"],
  ["space", "pause / resume updates"],
  ["[ / ]", "replay only: seek 10 s back / forward"],
  ["?", "this help (any of ? Esc closes it)"],
  ["q, Ctrl-C, Ctrl-D", "quit"],
];

export function helpView(sc: Scene, width: number, height: number): string[] {
  const s = sc.styles;
  const keyWidth = Math.max(...KEYS.map(([k]) => k.length)) + 2;
  const body = KEYS.map(([k, a]) =>
    compose([[k.padEnd(keyWidth), (x) => s.bold(x)], [a]], width - 2, s),
  );
  const out = [headerLine(sc, width)];
  out.push(
    ...box([["Help", (x) => s.bold(x)]], body, width, Math.min(height - 1, body.length + 2), s),
  );
  while (out.length < height) out.push(blank(width));
  return out.slice(0, height);
}
