// Hello world: connect to a mini-redis server, set "hello" to "world", then read it back.
//
// Start a server first (`npx mini-redis-server`), then: `npm run hello_world -w @periscope/mini-redis`.
// MINI_REDIS_PORT picks another port than 6379.
import { Client } from "@periscope/mini-redis";

// Open a connection to the mini-redis address.
const client = await Client.connect(Number(process.env.MINI_REDIS_PORT ?? 6379));

// Set the key "hello" with value "world".
await client.set("hello", "world");

// Get key "hello".
const result = await client.get("hello");

console.log(`got value from the server; success=${result !== null}`);
console.log(`value: ${result?.toString()}`);
await client.close();
