// Key events from node:readline's keypress parser, reduced to what the console acts on.

export interface Key {
  /** "up", "down", "left", "right", "return", "escape", "backspace", "pageup", "pagedown",
   * "home", "end", "tab", or the printable character itself. */
  name: string;
  ctrl: boolean;
  /** The printable character typed, if any (used by the filter prompt). */
  ch: string | undefined;
}

interface ReadlineKey {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}

/** Normalises a readline "keypress" (str, key) pair. */
export function fromKeypress(str: string | undefined, key: ReadlineKey | undefined): Key {
  const seq = key?.sequence ?? str ?? "";
  const printable = seq.length > 0 && [...seq].length === 1 && seq >= " " && seq !== "\x7f";
  const ctrl = key?.ctrl === true;
  if (printable && !ctrl) return { name: seq === " " ? "space" : seq, ctrl, ch: seq };
  const name = key?.name ?? seq;
  return { name: name === "enter" ? "return" : name, ctrl, ch: undefined };
}

/** Shorthand for tests and scripted input: "j", "G", "return", "C-c". */
export function key(spec: string): Key {
  if (spec.startsWith("C-") && spec.length > 2)
    return { name: spec.slice(2), ctrl: true, ch: undefined };
  if ([...spec].length === 1) return { name: spec === " " ? "space" : spec, ctrl: false, ch: spec };
  return { name: spec, ctrl: false, ch: spec === "space" ? " " : undefined };
}
