// The retained rows' bookkeeping that expiry and the byte budget need: the chunks in completion
// order, the first live row, and what is not yet published; FrozenTasks adds the rows themselves.
import {
  CHUNK,
  type Chunk,
  chunkBytes,
  F_WIDE,
  FLAGS,
  open,
  STATIC,
  U8,
  U32,
} from "./frozen-chunk.ts";
import type { Columns } from "./frozen-pack.ts";
import { StaticTable } from "./static-table.ts";

export class FrozenRows {
  protected chunks: Chunk[] = [];
  /** First live row of the first chunk. */
  protected head = 0;
  protected count = 0;
  /** Rows added since the last `takeUnpublished` (at the end of the store). */
  protected unpublished = 0;
  protected readonly statics = new StaticTable();

  get size(): number {
    return this.count;
  }

  /**
   * Forgets rows completed more than `retentionMs` before `now`, then the oldest beyond `maxRows`,
   * then, while the rows' estimated bytes pass `budgetBytes`, the oldest rows (counted in
   * `droppedForBudget`); with
   * `keepUnpublished`, rows not yet sent in a delta stay (their dropped_at goes out first, as
   * upstream).
   */
  expire(
    now: number,
    retentionMs: number,
    keepUnpublished: boolean,
    budgetBytes = Infinity,
    maxRows = Infinity,
  ): void {
    for (let c = this.headChunk(); c !== undefined; c = this.headChunk()) {
      if (keepUnpublished && this.count <= this.unpublished) return;
      // A packed chunk is opened only once its first row is due.
      if (c.cols === undefined && now - c.dropBase <= retentionMs) break;
      if (now - (open(c).dropped[this.head] as number) <= retentionMs) break;
      this.dropHead(c);
    }
    for (let c = this.headChunk(); c !== undefined && this.count > maxRows; c = this.headChunk()) {
      if (keepUnpublished && this.count <= this.unpublished) return;
      open(c);
      this.dropHead(c);
    }
    if (!(this.bytes > budgetBytes)) return;
    // Rows go one by one, as `bytes` counts them.
    let bytes = this.bytes;
    for (let c = this.headChunk(); c !== undefined && bytes > budgetBytes; c = this.headChunk()) {
      if (keepUnpublished && this.count <= this.unpublished) return;
      bytes -= chunkBytes(c) / c.n;
      open(c);
      this.dropHead(c);
      this.droppedForBudget++;
    }
  }

  /** Completed tasks forgotten before their retention ended, to stay within the byte budget. */
  droppedForBudget = 0;

  /** The first chunk with a row left (emptied full chunks are let go), or undefined. */
  protected headChunk(): Chunk | undefined {
    for (;;) {
      const c = this.chunks[0];
      if (c === undefined) return undefined;
      if (this.head < c.n) return c;
      if (c.n < CHUNK) return undefined; // the chunk still being filled
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Forgets the oldest row (its chunk open). */
  protected dropHead(c: Chunk): void {
    const cols = c.cols as Columns;
    if (((cols.s[this.head * U8 + FLAGS] as number) & F_WIDE) !== 0) c.wide?.delete(this.head);
    else this.statics.release(cols.u[this.head * U32 + STATIC] as number);
    c.hists?.delete(this.head);
    this.head++;
    this.count--;
    if (this.unpublished > this.count) this.unpublished = this.count;
  }

  /** Bytes held by the rows' columns and blobs, open and packed (histograms in maps and wide rows aside). */
  get columnBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += chunkBytes(c) - c.heavy;
    return n;
  }

  /**
   * Estimated heap bytes of everything retained: the columns, the blobs, the shared static info,
   * and (estimated) the rows kept whole and histograms kept apart. The first chunk counts in
   * proportion to its rows left: its memory goes when its last row does.
   */
  get bytes(): number {
    let n = this.statics.bytes;
    for (const c of this.chunks) n += chunkBytes(c);
    const head = this.chunks[0];
    if (head !== undefined && this.head > 0) n -= (chunkBytes(head) * this.head) / head.n;
    return n;
  }
}
