// Giving a big buffer's memory back at once, instead of whenever the garbage collector runs.
// V8 frees an ArrayBuffer only when it collects it, and an idle server allocates nothing, so it
// may not collect for a long time: after a 1.5 GB request, the memory would stay with the process.

/**
 * Frees `buf`'s memory now by detaching its ArrayBuffer (`transfer(0)`); `buf` is empty
 * afterwards. Only for a buffer nothing else will read: one the parser allocated and no longer
 * refers to, or a socket's read chunk once parsed (argument views die with their command).
 * A slice of a larger, shared block (Node's pool) is left alone.
 */
export function release(buf: Buffer): void {
  const ab = buf.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (buf.byteOffset === 0 && ab.byteLength === buf.length) ab.transfer?.(0);
}
