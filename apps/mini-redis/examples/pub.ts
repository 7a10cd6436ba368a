// Publish: send the message "bar" on channel "foo". Run `sub` first in another terminal to see it
// arrive: `npm run pub -w @periscope/mini-redis`.
// Options: --host, --port, --otlp.
import { Client } from "@periscope/mini-redis";
import { exampleOptions } from "./options.ts";

const opts = exampleOptions("pub");

// Open a connection to the mini-redis address.
const client = await Client.connect(opts.port, opts.host);

// Publish message "bar" on channel "foo"; the reply is how many subscribers received it.
const receivers = await client.publish("foo", "bar");
console.log(`published to ${receivers} subscriber(s)`);
await client.close();
await opts.done();
