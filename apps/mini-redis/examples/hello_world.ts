// Hello world: connect to a mini-redis server, set "hello" to "world", then read it back.
//
// Start a server first (`npx mini-redis-server`), then: `npm run hello_world -w @periscope/mini-redis`.
// `--host`, `--port` pick another server than 127.0.0.1:6379; `--otlp` exports the client's spans.
import { Client } from "@periscope/mini-redis";
import { exampleOptions } from "./options.ts";

const opts = exampleOptions("hello_world");

// Open a connection to the mini-redis address.
const client = await Client.connect(opts.port, opts.host);

// Set the key "hello" with value "world".
await client.set("hello", "world");

// Get key "hello".
const result = await client.get("hello");

console.log(`got value from the server; success=${result !== null}`);
console.log(`value: ${result?.toString()}`);
await client.close();
await opts.done();
