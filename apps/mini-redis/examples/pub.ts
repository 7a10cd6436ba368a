// Publish: send the message "bar" on channel "foo". Run `sub` first in another terminal to see it
// arrive: `npm run pub -w @periscope/mini-redis`.
import { Client } from "@periscope/mini-redis";

// Open a connection to the mini-redis address.
const client = await Client.connect(Number(process.env.MINI_REDIS_PORT ?? 6379));

// Publish message "bar" on channel "foo"; the reply is how many subscribers received it.
const receivers = await client.publish("foo", "bar");
console.log(`published to ${receivers} subscriber(s)`);
await client.close();
