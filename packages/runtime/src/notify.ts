// Notify, as tokio::sync::Notify: notifyOne wakes the longest waiter or stores one permit for the
// next notified(); notifyWaiters wakes everyone waiting now and stores nothing.
import { Resource } from "./resource.ts";
import { armCancel, Waiter, WaitQueue } from "./waitqueue.ts";

export class Notify {
  #permit = false;
  readonly #queue = new WaitQueue<void>();
  readonly #res: Resource;

  constructor() {
    this.#res = new Resource(
      { target: "tokio::sync::notify", concreteType: "Notify", kind: "Sync", caller: Notify },
      this,
    );
    this.#res.update("permit", false);
    this.#res.update("waiters", 0, "override");
  }

  get waiters(): number {
    return this.#queue.size;
  }

  /** Resolves at the next notification (or at once, consuming a stored permit). */
  async notified(opts?: { signal?: AbortSignal }): Promise<void> {
    const op = this.#res.op("Notify::notified");
    try {
      if (this.#permit) {
        this.#permit = false;
        this.#res.update("permit", false);
        op.poll("poll_notified", true);
        return;
      }
      const w = new Waiter<void>(0);
      this.#queue.push(w);
      this.#res.update("waiters", 1, "add");
      armCancel(w, opts?.signal, () => {
        this.#queue.remove(w);
        this.#res.update("waiters", 1, "sub");
      });
      op.poll("poll_notified", false);
      await w.promise;
      op.poll("poll_notified", true);
    } finally {
      op.close();
    }
  }

  /** Wakes the longest-waiting caller, or stores a single permit if nobody waits. */
  notifyOne(): void {
    const w = this.#queue.shift();
    if (w === undefined) {
      if (!this.#permit) {
        this.#permit = true;
        this.#res.update("permit", true);
      }
      return;
    }
    this.#res.update("waiters", 1, "sub");
    w.fulfil();
  }

  /** Wakes every current waiter; stores no permit. */
  notifyWaiters(): void {
    const n = this.#queue.size;
    if (n === 0) return;
    for (let w = this.#queue.shift(); w !== undefined; w = this.#queue.shift()) w.fulfil();
    this.#res.update("waiters", n, "sub");
  }
}
