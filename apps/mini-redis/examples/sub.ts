// Subscribe: wait for one message on channel "foo" and print it, then exit.
// `npm run sub -w @periscope/mini-redis`, then `npm run pub -w @periscope/mini-redis` elsewhere.
// Options: --host, --port, --otlp.
import { Client } from "@periscope/mini-redis";
import { exampleOptions } from "./options.ts";

const opts = exampleOptions("sub");

// Open a connection to the mini-redis address.
const client = await Client.connect(opts.port, opts.host);

// Subscribe to channel "foo". The connection is now in subscribe mode: it only receives.
const subscriber = await client.subscribe(["foo"]);
console.log("subscribed to foo; waiting for a message");

// Await the next message on channel "foo".
const msg = await subscriber.nextMessage();
if (msg)
  console.log(
    `got message from the channel: ${msg.channel}; message = ${JSON.stringify(msg.content.toString())}`,
  );
await subscriber.close();
await opts.done();
