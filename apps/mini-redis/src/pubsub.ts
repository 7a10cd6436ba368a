// Pub/sub fan-out: which connections listen on which channel, and delivery of published messages.
// Redis keeps channels in a key space separate from the keys of GET/SET; so does this.
//
// tokio's mini-redis gives each channel a `broadcast` channel with room for 1024 messages and
// lets slow subscribers miss messages. Redis instead delivers every message and disconnects a
// subscriber whose unsent output passes a limit (`client-output-buffer-limit pubsub`). This
// server does what Redis does: the message is encoded once per PUBLISH and sent on each
// subscriber's @periscope/runtime unbounded mpsc channel, drained at once by that connection's
// subscriber task, which enforces the limit (see Connection). A runtime broadcast channel per
// channel would instead drop messages for a subscriber that lags by its capacity, which Redis
// never does.
import type { ServerMetrics } from "./telemetry.ts";

/** A connection in subscribe mode, as pub/sub sees it. */
export interface Subscriber {
  /** Queues an already-encoded `message` frame for this subscriber. */
  deliver(frame: Buffer): void;
}

const PUBLISHED = { direction: "published" } as const;
const DELIVERED = { direction: "delivered" } as const;
const MESSAGE_HEADER = Buffer.from("*3\r\n$7\r\nmessage\r\n");

export class PubSub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly metrics: ServerMetrics | undefined;

  constructor(metrics?: ServerMetrics) {
    this.metrics = metrics;
  }

  /** Adds `sub` to `channel`; returns false if it was already subscribed. */
  subscribe(channel: string, sub: Subscriber): boolean {
    let subs = this.channels.get(channel);
    if (subs === undefined) {
      subs = new Set();
      this.channels.set(channel, subs);
    }
    if (subs.has(sub)) return false;
    subs.add(sub);
    return true;
  }

  /** Removes `sub` from `channel`; returns whether it was subscribed. */
  unsubscribe(channel: string, sub: Subscriber): boolean {
    const subs = this.channels.get(channel);
    if (subs === undefined || !subs.delete(sub)) return false;
    // Forget empty channels, or every channel name ever used would stay in memory.
    if (subs.size === 0) this.channels.delete(channel);
    return true;
  }

  /** Number of channels with at least one subscriber. */
  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * Sends `message` to every subscriber of `channel` (a latin1 key, as everywhere) and returns
   * how many received it, which is PUBLISH's reply.
   */
  publish(channel: string, message: Uint8Array): number {
    const subs = this.channels.get(channel);
    this.metrics?.pubsub.add(1, PUBLISHED);
    if (subs === undefined) return 0;
    const frame = encodeMessage(channel, message);
    // Copy the set: a delivery can disconnect a subscriber, which unsubscribes it mid-loop.
    const receivers = subs.size === 1 ? subs : [...subs];
    let n = 0;
    for (const sub of receivers) {
      sub.deliver(frame);
      n++;
    }
    this.metrics?.pubsub.add(n, DELIVERED);
    return n;
  }
}

/** `*3\r\n$7\r\nmessage\r\n$<n>\r\n<channel>\r\n$<m>\r\n<message>\r\n`, encoded once. */
function encodeMessage(channel: string, message: Uint8Array): Buffer {
  const ch = `$${channel.length}\r\n${channel}\r\n$${message.length}\r\n`;
  const frame = Buffer.allocUnsafe(MESSAGE_HEADER.length + ch.length + message.length + 2);
  MESSAGE_HEADER.copy(frame, 0);
  let at = MESSAGE_HEADER.length;
  at += frame.write(ch, at, "latin1");
  frame.set(message, at);
  at += message.length;
  frame.write("\r\n", at, "latin1");
  return frame;
}
