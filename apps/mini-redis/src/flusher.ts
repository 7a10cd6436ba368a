// Sends pending replies once per turn of the event loop, for every connection at once.
//
// Redis does not write a reply when it computes it: it queues it, and just before the event loop
// goes back to sleep it writes every client's queued output (`handleClientsWithPendingWrites`).
// We do the same with `setImmediate`, which runs right after the poll phase has delivered every
// socket that was ready. Replies to many clients then leave in one burst, so the clients (and the
// kernel) handle them in one wake-up instead of one wake-up per reply.

/** Something with replies to send. */
export interface Flushable {
  /** Sends what is pending; called at most once per event-loop turn. */
  flushPending(): void;
}

let queue: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  for (const c of batch) c.flushPending();
}

/** Queues `c` to be flushed at the end of this event-loop turn. The caller dedupes. */
export function scheduleFlush(c: Flushable): void {
  queue.push(c);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
