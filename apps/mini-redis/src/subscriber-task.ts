// A subscribed connection's queue of published messages, and the task that moves them to its
// output. tokio's mini-redis merges a subscriber's channel streams in its connection task; here a
// second task per subscriber drains an unbounded @periscope/runtime mpsc channel, so the console
// shows the channel and the task, and every message is delivered (see pubsub.ts for why).
import {
  spawn,
  type UnboundedReceiver,
  type UnboundedSender,
  unboundedChannel,
} from "@periscope/runtime";

export class SubscriberTask {
  private readonly peer: string;
  private readonly push: (frame: Buffer) => void;
  private tx: UnboundedSender<Buffer> | undefined;
  private rx: UnboundedReceiver<Buffer> | undefined;

  /** `push` puts one message in the connection's output (and enforces its limit). */
  constructor(peer: string, push: (frame: Buffer) => void) {
    this.peer = peer;
    this.push = push;
  }

  /** Queues a message; the first one starts the task. */
  send(frame: Buffer): void {
    if (this.tx === undefined) this.start();
    this.tx?.send(frame);
  }

  /** Moves every message already queued to the output, now. */
  drain(): void {
    const rx = this.rx;
    if (rx === undefined) return;
    let r = rx.tryRecv();
    while (r.ok) {
      this.push(r.value);
      r = rx.tryRecv();
    }
  }

  /** Closes the channel (the connection left subscribe mode or closed), so the task ends. */
  stop(): void {
    this.tx?.close();
    this.tx = undefined;
    this.rx = undefined;
  }

  /**
   * The channel never holds more than one publisher's batch: the task wakes right after the
   * publisher's turn and drains it, so a publisher's many messages become one write.
   */
  private start(): void {
    const [tx, rx] = unboundedChannel<Buffer>();
    this.tx = tx;
    this.rx = rx;
    spawn(
      async () => {
        for (;;) {
          this.drain();
          const frame = await rx.recv();
          if (frame === undefined) return;
          this.push(frame);
        }
      },
      { name: "subscriber", fields: { peer: this.peer } },
    );
  }
}
