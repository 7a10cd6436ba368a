// Where formatted lines go: stdout, stderr, a file or any sink. A closed pipe (EPIPE) or a full
// disk silences the writer instead of crashing the program; instrumentation must never throw.
import { closeSync, openSync, writeSync } from "node:fs";

export interface Writer {
  write(chunk: string): void;
  /** Whether the destination is a terminal (colour is used only then). */
  readonly isTTY?: boolean;
}

/** "stdout" (default), "stderr", `{ path }` for a file (appended), a Writer, or a function. */
export type WriterOption =
  | "stdout"
  | "stderr"
  | { readonly path: string }
  | Writer
  | ((chunk: string) => void);

const guarded = new WeakSet<NodeJS.WriteStream>();
const broken = new WeakSet<NodeJS.WriteStream>();

class StreamWriter implements Writer {
  readonly #stream: NodeJS.WriteStream;
  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
    if (!guarded.has(stream)) {
      guarded.add(stream);
      // Without a listener an EPIPE on stdout (`app | head`) is an uncaught error.
      stream.on("error", () => broken.add(stream));
    }
  }
  get isTTY(): boolean {
    return this.#stream.isTTY === true;
  }
  write(chunk: string): void {
    const s = this.#stream;
    if (broken.has(s) || s.destroyed) return;
    try {
      s.write(chunk);
    } catch {
      broken.add(s);
    }
  }
}

/** Appends to a file with synchronous writes, so lines are on disk even if the process dies. */
export class FileWriter implements Writer {
  readonly path: string;
  #fd: number | undefined;
  #failed = false;
  readonly isTTY = false;
  constructor(path: string) {
    this.path = path;
  }
  write(chunk: string): void {
    if (this.#failed) return;
    try {
      if (this.#fd === undefined) this.#fd = openSync(this.path, "a", 0o640);
      writeSync(this.#fd, chunk);
    } catch (e) {
      this.#failed = true;
      process.stderr.write(
        `periscope: cannot write log file ${JSON.stringify(this.path)}: ${(e as Error).message} (PERISCOPE_LOG_FILE). Logging to it stops; check the path and permissions.\n`,
      );
    }
  }
  close(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // already closed
      }
      this.#fd = undefined;
    }
  }
}

/** Resolves a WriterOption to a Writer that never throws. */
export function makeWriter(opt: WriterOption = "stdout"): Writer {
  if (opt === "stdout") return new StreamWriter(process.stdout);
  if (opt === "stderr") return new StreamWriter(process.stderr);
  if (typeof opt === "function") {
    return {
      write(chunk) {
        try {
          opt(chunk);
        } catch {
          // A failing sink loses the line, not the program.
        }
      },
    };
  }
  if ("path" in opt) return new FileWriter(opt.path);
  const w = opt;
  return {
    isTTY: w.isTTY === true,
    write(chunk) {
      try {
        w.write(chunk);
      } catch {
        // as above
      }
    },
  };
}
