// Chat: a terminal chat room over pub/sub. Every line you type is published on channel "chat";
// every message on that channel is printed. Start it in two terminals:
// `npm run chat -w @periscope/mini-redis -- alice` and `... -- bob`. Options: --host, --port, --otlp.
//
// It needs two connections: one in subscribe mode only receives, so publishing needs another.
import { createInterface } from "node:readline";
import { Client } from "@periscope/mini-redis";
import { exampleOptions } from "./options.ts";

const opts = exampleOptions("chat");
const name = (opts.rest[0] ?? `guest-${process.pid}`).slice(0, 32);
const CHANNEL = "chat";

const publisher = await Client.connect(opts.port, opts.host);
const subscriber = await (await Client.connect(opts.port, opts.host)).subscribe([CHANNEL]);

// Messages come from other people: strip control characters so nobody can drive our terminal.
const clean = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");

// Print messages as they arrive, until the connection closes.
const printing = (async () => {
  for await (const msg of subscriber) console.log(clean(msg.content.toString("utf8")));
})();

await publisher.publish(CHANNEL, `* ${name} joined`);
const input = createInterface({ input: process.stdin });
for await (const line of input) {
  if (line.trim() === "") continue;
  await publisher.publish(CHANNEL, `<${name}> ${line}`);
}

// End of input (Ctrl-D): say goodbye and close both connections.
await publisher.publish(CHANNEL, `* ${name} left`);
await subscriber.close();
await publisher.close();
await printing;
await opts.done();
