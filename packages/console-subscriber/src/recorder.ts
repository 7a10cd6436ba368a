// Records every published Update to a file the console can replay (format: see console-api's
// recording.ts). Writes are synchronous and small (one delta a second), so ordering is exact.
import { closeSync, openSync, writeSync } from "node:fs";
import { frameEncodedUpdate, recordingHeader } from "@periscope/console-api";

export class Recorder {
  readonly path: string;
  #fd: number | undefined;
  /** Set when a write failed; recording then stops rather than throw into the program. */
  error: Error | undefined;

  constructor(path: string) {
    this.path = path;
    try {
      this.#fd = openSync(path, "w");
    } catch (e) {
      // A bad path must not stop the program: say so, and run without recording.
      this.#fail(e as Error);
      return;
    }
    this.#write(recordingHeader());
  }

  #fail(e: Error): void {
    this.error = e;
    process.emitWarning(
      `recording to ${this.path} stopped: ${e.message}; check the disk and PERISCOPE_CONSOLE_RECORD_PATH`,
      { code: "PERISCOPE_CONSOLE_RECORD_FAILED" },
    );
  }

  get active(): boolean {
    return this.#fd !== undefined;
  }

  record(parts: Buffer[]): void {
    for (const p of parts) this.#write(frameEncodedUpdate(p));
  }

  #write(bytes: Uint8Array): void {
    if (this.#fd === undefined) return;
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.#fd, bytes, off);
    } catch (e) {
      this.#fail(e as Error);
      this.close();
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Nothing left to save.
    }
    this.#fd = undefined;
  }
}
