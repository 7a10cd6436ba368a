// The line-diff renderer: keeps the last frame and writes only the lines that changed, and of
// those only the changed cells (line-diff.ts), in one write.
import { lineChange } from "./line-diff.ts";

export interface Output {
  write(s: string): unknown;
}

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
const LEAVE = "\x1b[0m\x1b[?25h\x1b[?1049l";

export class Screen {
  #prev: string[] = [];
  #out: Output;
  #active = false;

  constructor(out: Output) {
    this.#out = out;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Alternate screen, cursor hidden. */
  enter(): void {
    if (this.#active) return;
    this.#active = true;
    this.#prev = [];
    this.#out.write(ENTER);
  }

  /** Back to the user's screen and cursor; safe to call twice (exit and signal paths both do). */
  leave(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#out.write(LEAVE);
  }

  /** Forgets the last frame (after a resize) so the next draw repaints everything. */
  invalidate(): void {
    this.#prev = [];
    if (this.#active) this.#out.write("\x1b[0m\x1b[2J");
  }

  /** Writes the lines that differ from the last frame; returns the bytes written. */
  draw(lines: string[]): number {
    let buf = "";
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const prev = this.#prev[i];
      if (prev === line) continue;
      if (prev === undefined) {
        buf += `\x1b[${i + 1};1H${line}\x1b[0m\x1b[K`;
        continue;
      }
      const c = lineChange(prev, line);
      buf += `\x1b[${i + 1};${c.col}H${c.style}${c.text}\x1b[0m${c.toEnd ? "\x1b[K" : ""}`;
    }
    for (let i = lines.length; i < this.#prev.length; i++) buf += `\x1b[${i + 1};1H\x1b[K`;
    this.#prev = lines;
    if (buf) this.#out.write(buf);
    return buf.length;
  }
}
