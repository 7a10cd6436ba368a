// `mini-redis-server`: parses the command line, sets up logging, runs the server until SIGINT or
// SIGTERM, then shuts down gracefully (a second signal exits at once).
import { parseArgs } from "node:util";
import { LOG_FORMATS, type LogFormat, setUpLogging } from "./logging.ts";
import { DEFAULT_PORT, startServer } from "./server.ts";
import { infoEvent, T_SERVER } from "./trace.ts";

const USAGE = `Usage: mini-redis-server [options]

A Redis server (a teaching subset), instrumented with Periscope.

Options:
  --port <port>          TCP port to listen on (default ${DEFAULT_PORT})
  --bind <address>       address to bind (default 127.0.0.1, this machine only)
  --max-clients <n>      most clients at once; the next gets an error (default 250)
  --log-format <format>  full | compact | pretty | json (default: PERISCOPE_LOG_FORMAT, else full)
  -h, --help             show this help

Environment:
  PERISCOPE_LOG          log filter, e.g. "info", "mini_redis=debug" (default info)
  PERISCOPE_LOG_FORMAT   default for --log-format
`;

/** Bad command line: a message with a stable code, the usage, exit 2. */
function fail(message: string): never {
  process.stderr.write(`mini-redis-server: ${message} (MINI_REDIS_USAGE)\n\n${USAGE}`);
  process.exit(2);
}

function intOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < min || n > max) {
    fail(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      port: { type: "string" },
      bind: { type: "string" },
      "max-clients": { type: "string" },
      "log-format": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
}
try {
  parsed = parse();
} catch (err) {
  fail((err as Error).message);
}
const v = parsed.values;
if (v.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const format = v["log-format"] as LogFormat | undefined;
if (format !== undefined && !LOG_FORMATS.includes(format)) {
  fail(`--log-format must be one of ${LOG_FORMATS.join(", ")}, got "${format}"`);
}

const logging = setUpLogging({ format });

const port = intOption("port", v.port, 0, 65535) ?? DEFAULT_PORT;
const maxClients = intOption("max-clients", v["max-clients"], 1, 1_000_000);
let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer({ port, host: v.bind ?? "127.0.0.1", maxClients });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  const hint =
    e.code === "EADDRINUSE"
      ? `port ${port} is already in use (MINI_REDIS_ADDR_IN_USE). Stop the other server or pass another --port.`
      : `${e.message} (MINI_REDIS_LISTEN). Check --bind and --port.`;
  process.stderr.write(`mini-redis-server: cannot listen: ${hint}\n`);
  process.exit(1);
}
if (!logging) {
  // Without a subscriber nothing else is printed, so say at least where we listen.
  process.stderr.write(`mini-redis-server listening on ${v.bind ?? "127.0.0.1"}:${server.port}\n`);
}

let signals = 0;
const onSignal = (signal: string) => {
  signals++;
  if (signals > 1) {
    infoEvent(T_SERVER, "second signal, exiting now", { signal });
    server.destroy();
    process.exit(130);
  }
  infoEvent(T_SERVER, "shutdown signal received; press Ctrl-C again to exit at once", { signal });
  server.close().then(() => process.exit(0));
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));
