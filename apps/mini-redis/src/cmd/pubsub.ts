// PUBLISH, SUBSCRIBE and UNSUBSCRIBE.
//
// SUBSCRIBE puts the connection in "subscribe mode": from then on the server pushes `message`
// frames to it whenever someone publishes on one of its channels, and (in RESP2, as in Redis 7)
// only SUBSCRIBE, UNSUBSCRIBE, PING and QUIT are accepted until it has unsubscribed from every
// channel (in RESP3 there is no such restriction: pushes are told apart by their type).
// tokio's mini-redis runs a dedicated loop for this mode; here the mode is a flag the
// connection checks, because messages are pushed into the subscriber's output buffer by the
// publisher rather than pulled by a per-subscriber task.
import type { Session } from "../session.ts";
import type { Command } from "./command.ts";

const SUBSCRIBE = Buffer.from("*3\r\n$9\r\nsubscribe\r\n");
const UNSUBSCRIBE = Buffer.from("*3\r\n$11\r\nunsubscribe\r\n");

/** PUBLISH channel message: replies with the number of subscribers that received it. */
export const publish: Command = {
  name: "publish",
  arity: 3,
  keyIndex: 1,
  run(args, s) {
    s.out.integer(s.shared.pubsub.publish(args.str(1), args.view(2)));
  },
};

/**
 * SUBSCRIBE channel [channel ...]
 *
 * Replies once per channel with `subscribe`, the channel, and how many channels this
 * connection is now subscribed to.
 */
export const subscribe: Command = {
  name: "subscribe",
  arity: -2,
  keyIndex: 1,
  inSubscribeMode: true,
  run(args, s) {
    for (let i = 1; i < args.argc; i++) {
      const channel = args.str(i);
      if (!s.channels.has(channel)) {
        s.channels.add(channel);
        s.shared.pubsub.subscribe(channel, s.subscriber);
      }
      s.out.pushFrame(SUBSCRIBE);
      s.out.bulkString(channel, "latin1");
      s.out.integer(s.channels.size);
    }
  },
};

/**
 * UNSUBSCRIBE [channel ...]
 *
 * Without channels, unsubscribes from all of them. Replies once per channel with
 * `unsubscribe`, the channel and the number of channels left; when there was nothing to
 * unsubscribe from, replies once with a null channel and 0, as Redis does.
 */
export const unsubscribe: Command = {
  name: "unsubscribe",
  arity: -1,
  keyIndex: 1,
  inSubscribeMode: true,
  run(args, s) {
    if (args.argc === 1) {
      if (s.channels.size === 0) {
        s.out.pushFrame(UNSUBSCRIBE);
        s.out.nil();
        s.out.integer(0);
        return;
      }
      for (const channel of [...s.channels]) unsubscribeOne(s, channel);
      return;
    }
    for (let i = 1; i < args.argc; i++) unsubscribeOne(s, args.str(i));
  },
};

function unsubscribeOne(s: Session, channel: string): void {
  if (s.channels.delete(channel)) s.shared.pubsub.unsubscribe(channel, s.subscriber);
  s.out.pushFrame(UNSUBSCRIBE);
  s.out.bulkString(channel, "latin1");
  s.out.integer(s.channels.size);
}
