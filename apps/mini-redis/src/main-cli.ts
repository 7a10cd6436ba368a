// `mini-redis-cli`: issue one command to a server and print the reply, with the verbs and output
// of tokio's mini-redis CLI (`ping`, `get`, `set`, `publish`, `subscribe`).
import { parseArgs } from "node:util";
import { Client } from "./client.ts";
import { setUpLogging } from "./logging.ts";
import { DEFAULT_PORT } from "./server.ts";
import { setUpTelemetry } from "./telemetry.ts";

const USAGE = `Usage: mini-redis-cli [--host <host>] [--port <port>] [--otlp | --otlp-xray] <command>

Issue Redis commands.

Commands:
  ping [message]                 ping the server
  get <key>                      get the value of key
  set <key> <value> [expires]    set key to value; expires in milliseconds
  publish <channel> <message>    publish a message to a channel
  subscribe <channel>...         print messages published on the channels (Ctrl-C to stop)

Options:
  --host <host>   server address (default 127.0.0.1)
  --port <port>   server port (default ${DEFAULT_PORT})
  --otlp          export the request's span over OTLP as service mini-redis-client
                  (OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318)
  --otlp-xray     as --otlp, with AWS X-Ray trace ids and X-Amzn-Trace-Id propagation
`;

/** Bad usage (code MINI_REDIS_USAGE, exit 2) or a failed command (exit 1). */
function fail(message: string, usage = true): never {
  const code = usage ? " (MINI_REDIS_USAGE)" : "";
  process.stderr.write(`mini-redis-cli: ${message}${code}\n${usage ? `\n${USAGE}` : ""}`);
  process.exit(usage ? 2 : 1);
}

/**
 * Renders bytes the way Rust's `Debug` shows them (`b"..."`), escaping quotes, backslashes and
 * every non-printable byte. Values come from the network: printing them raw could send terminal
 * escape sequences to the user's terminal.
 */
export function bytesDebug(bytes: Uint8Array): string {
  let s = 'b"';
  for (const b of bytes) {
    if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += "\\\\";
    else if (b === 0x0a) s += "\\n";
    else if (b === 0x0d) s += "\\r";
    else if (b === 0x09) s += "\\t";
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `${s}"`;
}

/** `"text"` when the value is printable UTF-8, else its escaped byte form. */
export function showValue(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf8");
  const printable = !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/.test(text);
  return printable ? `"${text}"` : bytesDebug(bytes);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      host: { type: "string" },
      hostname: { type: "string" },
      port: { type: "string" },
      otlp: { type: "boolean" },
      "otlp-xray": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: true,
  });
}
try {
  parsed = parse();
} catch (err) {
  fail((err as Error).message);
}
if (parsed.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
// Logs go to stderr: stdout carries the replies, which scripts read.
const telemetry = setUpTelemetry({
  serviceName: "mini-redis-client",
  otlp: parsed.values.otlp === true,
  xray: parsed.values["otlp-xray"] === true,
});
setUpLogging({ format: "compact", writer: "stderr", layers: telemetry.layers });
const host = parsed.values.host ?? parsed.values.hostname ?? "127.0.0.1";
const portText = parsed.values.port ?? String(DEFAULT_PORT);
const port = Number(portText);
if (!/^[0-9]+$/.test(portText) || port > 65535)
  fail(`--port must be a port number, got "${portText}"`);
const [verb, ...rest] = parsed.positionals;
if (verb === undefined) fail("a command is required");

const need = (min: number, max: number, shape: string) => {
  if (rest.length < min || rest.length > max) fail(`usage: mini-redis-cli ${shape}`);
};
switch (verb) {
  case "ping":
    need(0, 1, "ping [message]");
    break;
  case "get":
    need(1, 1, "get <key>");
    break;
  case "set":
    need(2, 3, "set <key> <value> [expires-ms]");
    if (rest[2] !== undefined && !/^[1-9][0-9]*$/.test(rest[2])) {
      fail(`expires must be a positive number of milliseconds, got "${rest[2]}"`);
    }
    break;
  case "publish":
    need(2, 2, "publish <channel> <message>");
    break;
  case "subscribe":
    if (rest.length === 0) fail("channel(s) must be provided");
    break;
  default:
    fail(`unknown command "${verb}"`);
}

let client: Client;
try {
  client = await Client.connect(port, host);
} catch (err) {
  fail(
    `cannot connect to ${host}:${port}: ${(err as Error).message} (MINI_REDIS_CONNECT). Is mini-redis-server running there?`,
    false,
  );
}

try {
  switch (verb) {
    case "ping":
      console.log(showValue(await client.ping(rest[0])));
      break;
    case "get": {
      const value = await client.get(rest[0]!);
      console.log(value === null ? "(nil)" : showValue(value));
      break;
    }
    case "set":
      if (rest[2] === undefined) await client.set(rest[0]!, rest[1]!);
      else await client.setExpires(rest[0]!, rest[1]!, Number(rest[2]));
      console.log("OK");
      break;
    case "publish":
      await client.publish(rest[0]!, rest[1]!);
      console.log("Publish OK");
      break;
    case "subscribe": {
      const subscriber = await client.subscribe(rest);
      process.on("SIGINT", () => {
        telemetry.shutdown().finally(() => process.exit(0));
      });
      for await (const msg of subscriber) {
        const channel = showValue(Buffer.from(msg.channel)).slice(1, -1);
        console.log(
          `got message from the channel: ${channel}; message = ${bytesDebug(msg.content)}`,
        );
      }
      break;
    }
  }
  await client.close();
  await telemetry.shutdown();
} catch (err) {
  fail((err as Error).message, false);
}
