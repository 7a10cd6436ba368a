// A client that pipelines: every request made in the same tick of the event loop goes out in one
// write, and the replies come back in order. tokio's mini-redis `BufferedClient` reaches the same
// goal with a task that owns the connection and a channel of requests; in Node the event loop
// already serialises callers, so batching the writes is all that is left to do.
import { Client, openSocket } from "./client.ts";

export class BufferedClient extends Client {
  private batch: Buffer[] = [];
  private scheduled = false;

  /** Opens a pipelining connection to `host:port` (default 127.0.0.1:6379). */
  static override connect(port = 6379, host = "127.0.0.1"): Promise<BufferedClient> {
    return openSocket(port, host).then((s) => new BufferedClient(s));
  }

  protected override write(bytes: Buffer): void {
    this.batch.push(bytes);
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current job, so everything requested synchronously joins this batch.
    process.nextTick(() => {
      this.scheduled = false;
      const batch = this.batch;
      this.batch = [];
      this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    });
  }
}
