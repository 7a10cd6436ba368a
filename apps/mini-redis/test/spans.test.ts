// What the server tells tracing about failures: failed commands are command spans carrying the
// error reply (which the OpenTelemetry layer turns into an error status), and the warning for an
// HTTP request sent to the Redis port, at most once a minute as in Redis.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type EventRecord, type Fields, setGlobalDefault } from "@periscope/tracing";
import { type Layer, registry } from "@periscope/tracing-subscriber";
import { ManualClock, type RunningServer, startServer } from "../src/index.ts";
import { cmd, connect, exchange, readUntilClose } from "./helpers.ts";

/** Every span with its fields as last recorded, and every event. */
const spans: Array<{ name: string; fields: Fields }> = [];
const byId = new Map<bigint, { name: string; fields: Fields }>();
const events: EventRecord[] = [];
const collector: Layer = {
  onNewSpan(attrs) {
    const s = { name: attrs.metadata.name, fields: { ...attrs.fields } };
    spans.push(s);
    byId.set(attrs.id, s);
  },
  onRecord(id, values) {
    const s = byId.get(id);
    if (s) Object.assign(s.fields, values);
  },
  onEvent(event) {
    events.push(event);
  },
};
setGlobalDefault(registry().with(collector));

const clock = new ManualClock();
let server: RunningServer;
before(async () => {
  server = await startServer({ port: 0, clock });
});
after(() => server.close());

const commandSpans = (command: string) =>
  spans.filter((s) => s.name === "cmd" && s.fields.command === command);

test("failed commands are command spans with the error reply; the others have no error", async () => {
  const out = await exchange(
    server.port,
    Buffer.concat([
      cmd("FROB", "x"),
      cmd("GET"),
      cmd("SET", "k", "v", "NX", "XX"),
      cmd("SET", "k", "v"),
      cmd("GET", "k"),
    ]),
  );
  assert.equal(
    out.toString(),
    "-ERR unknown command 'FROB', with args beginning with: 'x' \r\n" +
      "-ERR wrong number of arguments for 'get' command\r\n" +
      "-ERR syntax error\r\n+OK\r\n$1\r\nv\r\n",
  );
  assert.equal(
    commandSpans("FROB")[0]?.fields.error,
    "ERR unknown command 'FROB', with args beginning with: 'x' ",
  );
  const gets = commandSpans("get");
  assert.equal(gets[0]?.fields.error, "ERR wrong number of arguments for 'get' command");
  assert.equal(gets[1]?.fields.error, undefined, "a GET that worked");
  const sets = commandSpans("set");
  assert.equal(sets[0]?.fields.error, "ERR syntax error");
  assert.equal(sets[0]?.fields.key, "k");
  assert.equal(sets[1]?.fields.error, undefined);
});

test("the cross-protocol warning is Redis's, once a minute at most", async () => {
  const warnings = () => events.filter((e) => e.message?.startsWith("Possible SECURITY ATTACK"));
  for (let i = 0; i < 3; i++) {
    const s = await connect(server.port);
    s.write("POST / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await readUntilClose(s);
  }
  assert.equal(warnings().length, 1);
  assert.match(String(warnings()[0]?.message), /Cross Protocol Scripting.*Connection aborted\.$/);
  clock.advance(61_000);
  const s = await connect(server.port);
  s.write("Host: localhost\r\n");
  await readUntilClose(s);
  assert.equal(warnings().length, 2);
});
