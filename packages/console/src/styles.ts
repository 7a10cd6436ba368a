// Terminal styling and the symbol set: ANSI SGR when colours are on, plain text otherwise, and
// ASCII stand-ins for every box-drawing or arrow glyph when --ascii-only is given.
import { type DurationUnit, formatDuration } from "./duration.ts";
import { fit } from "./width.ts";

export type Color = "red" | "green" | "yellow" | "blue" | "magenta" | "cyan" | "gray";

const FG: Record<Color, number> = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
};

// tokio-console's 16-colour palette for duration units.
const UNIT_COLOR: Record<DurationUnit, Color> = {
  ns: "gray",
  us: "magenta",
  ms: "red",
  s: "yellow",
  m: "green",
  h: "cyan",
  d: "blue",
};

export interface Symbols {
  warn: string;
  asc: string;
  desc: string;
  ellipsis: string;
  selected: string;
  h: string;
  v: string;
  tl: string;
  tr: string;
  bl: string;
  br: string;
  branch: string;
  last: string;
  pipe: string;
  bars: string[];
  /** State icons, tokio-console's; empty with --ascii-only, where the word stands alone. */
  state: Record<"running" | "scheduled" | "idle" | "done", string>;
}

const UNICODE: Symbols = {
  warn: "⚠",
  asc: "▵",
  desc: "▿",
  ellipsis: "…",
  selected: "▶",
  h: "─",
  v: "│",
  tl: "┌",
  tr: "┐",
  bl: "└",
  br: "┘",
  branch: "├─",
  last: "└─",
  pipe: "│ ",
  bars: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
  state: { running: "▶", scheduled: "⏫", idle: "⏸", done: "⏹" },
};

const ASCII: Symbols = {
  warn: "!",
  asc: "^",
  desc: "v",
  ellipsis: "~",
  selected: ">",
  h: "-",
  v: "|",
  tl: "+",
  tr: "+",
  bl: "+",
  br: "+",
  branch: "|-",
  last: "`-",
  pipe: "| ",
  bars: [" ", ".", ".", ":", ":", "|", "|", "#", "#"],
  state: { running: "", scheduled: "", idle: "", done: "" },
};

/**
 * tokio-console's --palette values. The console draws with the 16 ANSI colours at most, so 16,
 * 256 and all look the same; 8 has no bright grey (it falls back to the default colour).
 */
export type Palette = "off" | "8" | "16" | "256" | "all";
export const PALETTES: readonly Palette[] = ["off", "8", "16", "256", "all"];

export interface StyleOptions {
  /** Colours (SGR 30-37, 90). Off with --no-colors or NO_COLOR. */
  colors: boolean;
  palette?: Palette;
  /** Durations coloured by unit (off with --no-duration-colors). */
  durationColors?: boolean;
  /** Completed tasks, resources and ops dimmed (off with --no-terminated-colors). */
  terminatedColors?: boolean;
  /** Only ASCII in the console's own chrome. */
  ascii: boolean;
  /** Bold, dim and reverse. Off only for plain-text snapshots. */
  attributes?: boolean;
}

export class Styles {
  readonly colors: boolean;
  readonly ascii: boolean;
  readonly attributes: boolean;
  readonly sym: Symbols;
  readonly palette: Palette;
  readonly durationColors: boolean;
  readonly terminatedColors: boolean;

  constructor(opts: StyleOptions) {
    this.palette = opts.colors ? (opts.palette ?? "16") : "off";
    this.colors = this.palette !== "off";
    this.durationColors = opts.durationColors ?? true;
    this.terminatedColors = opts.terminatedColors ?? true;
    this.ascii = opts.ascii;
    this.attributes = opts.attributes ?? true;
    this.sym = opts.ascii ? ASCII : UNICODE;
  }

  fg(text: string, color: Color): string {
    if (!this.colors || !text) return text;
    const code = color === "gray" && this.palette === "8" ? 39 : FG[color];
    return `\x1b[${code}m${text}\x1b[39m`;
  }

  // Bold is ended with SGR 22, which also ends dim: callers never nest bold inside a dim row.
  bold(text: string): string {
    return this.attributes && text ? `\x1b[1m${text}\x1b[22m` : text;
  }

  /** Prefix/suffix pairs for whole rows, so cells inside may still set their own colour. */
  rowDim(row: string): string {
    return this.attributes && this.terminatedColors ? `\x1b[2m${row}\x1b[22m` : row;
  }

  rowReverse(row: string): string {
    return this.attributes ? `\x1b[7m${row}\x1b[27m` : row;
  }

  /** A duration as raw text and the painter for its unit colour (a view segment). */
  durationSeg(ns: number, precision: number): [string, (x: string) => string] {
    const d = formatDuration(ns, precision, this.ascii);
    return [d.text, (x) => (this.durationColors ? this.fg(x, UNIT_COLOR[d.unit]) : x)];
  }

  /** A duration fitted to `width` cells (0 = natural width), coloured by its unit. */
  duration(ns: number, precision: number, width = 0): string {
    const d = formatDuration(ns, precision, this.ascii);
    const text = width > 0 ? fit(d.text, width, "right", this.sym.ellipsis) : d.text;
    return this.durationColors ? this.fg(text, UNIT_COLOR[d.unit]) : text;
  }
}

/** Removes SGR sequences: what a plain-text snapshot compares. */
export function stripSgr(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}
