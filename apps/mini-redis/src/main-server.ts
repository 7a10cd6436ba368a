// `mini-redis-server`: parses the command line, sets up logging (and the console and OTLP
// export when asked), runs the server until SIGINT or SIGTERM, then shuts down gracefully (a
// second signal exits at once).
import { parseArgs } from "node:util";
import type { ConsoleSubscriber } from "@periscope/console-subscriber";
import { consoleWanted } from "./console-env.ts";
import { LOG_FORMATS, type LogFormat, setUpLogging } from "./logging.ts";
import { parseOutputLimits } from "./output-limit.ts";
import { DEFAULT_MAX_CLIENTS, DEFAULT_PORT, startServer } from "./server.ts";
import type { ServerMetrics, Telemetry } from "./telemetry.ts";
import { infoEvent, T_SERVER, warnEvent } from "./trace.ts";

const USAGE = `Usage: mini-redis-server [options]

A Redis server (a teaching subset), instrumented with Periscope.

Options:
  --port <port>          TCP port to listen on (default ${DEFAULT_PORT})
  --bind <address>       address to bind (default 127.0.0.1, this machine only)
  --max-clients <n>      most clients at once; the next gets an error (default ${DEFAULT_MAX_CLIENTS},
                         lowered to fit the open-file limit, as Redis does)
  --timeout <seconds>    close a client idle that long; subscribers are exempt (default 0: never)
  --client-output-buffer-limit "pubsub <hard> <soft> <seconds>"
                         cut a subscriber whose unsent output passes <hard>, or stays over
                         <soft> for <seconds> (default "pubsub 32mb 8mb 60", as Redis; 0: off)
  --log-format <format>  full | compact | pretty | json (default: PERISCOPE_LOG_FORMAT, else full)
  --console              serve the console (tokio's console-api) on PERISCOPE_CONSOLE_BIND,
                         default 127.0.0.1:6669; watch with tokio-console or periscope console
  --otlp                 export spans over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, default
                         http://localhost:4318; service name mini-redis)
  --otlp-xray            as --otlp, for AWS X-Ray through a Collector: X-Ray trace ids and
                         X-Amzn-Trace-Id propagation (OTEL_PROPAGATORS overrides the latter)
  --metrics-port <port>  serve Prometheus metrics at http://127.0.0.1:<port>/metrics
  -h, --help             show this help

Environment:
  PERISCOPE_LOG          log filter, e.g. "info", "mini_redis=debug" (default info)
  PERISCOPE_LOG_FORMAT   default for --log-format
  PERISCOPE_CONSOLE      1 turns the console on (as does any PERISCOPE_CONSOLE_* variable), 0 off
  PERISCOPE_CONSOLE_BIND where the console listens (and the other PERISCOPE_CONSOLE_* settings)
  PERISCOPE_OTLP_LOG     what --otlp exports (default "mini_redis=debug,info")
  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_*  the standard OpenTelemetry settings for --otlp
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
      timeout: { type: "string" },
      "client-output-buffer-limit": { type: "string" },
      "log-format": { type: "string" },
      console: { type: "boolean" },
      otlp: { type: "boolean" },
      "otlp-xray": { type: "boolean" },
      "metrics-port": { type: "string" },
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

const port = intOption("port", v.port, 0, 65535) ?? DEFAULT_PORT;
const maxClients = intOption("max-clients", v["max-clients"], 1, 1_000_000);
const timeout = intOption("timeout", v.timeout, 0, 100_000_000);
const metricsPort = intOption("metrics-port", v["metrics-port"], 0, 65535);
const outputLimits =
  v["client-output-buffer-limit"] === undefined
    ? undefined
    : parseOutputLimits(v["client-output-buffer-limit"]);
if (typeof outputLimits === "string") fail(`--client-output-buffer-limit: ${outputLimits}`);

// OpenTelemetry and the console's gRPC stack are loaded only when asked for: together they
// are about 35 MB of resident memory a server without them does not need.
const exporting = v.otlp === true || v["otlp-xray"] === true || metricsPort !== undefined;
const telemetry: Telemetry = exporting
  ? (await import("./telemetry.ts")).setUpTelemetry({
      serviceName: "mini-redis",
      otlp: v.otlp === true,
      xray: v["otlp-xray"] === true,
      metricsPort,
    })
  : { layers: [], meter: undefined, metricsUrl: Promise.resolve(undefined), async shutdown() {} };
const consoleSub: ConsoleSubscriber | undefined = consoleWanted(v.console === true)
  ? (await import("./console.ts")).startConsole()
  : undefined;
const layers = [...telemetry.layers];
if (consoleSub) layers.push([consoleSub.layer, consoleSub.filter]);
const logging = setUpLogging({ format, layers });
// Instruments only when something reads them: without an exporter, no clock reads per command.
const metrics: ServerMetrics | undefined =
  exporting && telemetry.meter !== undefined
    ? new (await import("./telemetry.ts")).ServerMetrics(telemetry.meter)
    : undefined;

let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer({
    port,
    host: v.bind ?? "127.0.0.1",
    maxClients,
    timeout,
    pubsubOutputLimit: outputLimits?.hard,
    pubsubSoftLimit: outputLimits?.soft,
    pubsubSoftSeconds: outputLimits?.softSeconds,
    metrics,
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  const hint =
    e.code === "EADDRINUSE"
      ? `port ${port} is already in use (MINI_REDIS_ADDR_IN_USE). Stop the other server or pass another --port.`
      : `${e.message} (MINI_REDIS_LISTEN). Check --bind and --port.`;
  process.stderr.write(`mini-redis-server: cannot listen: ${hint}\n`);
  await telemetry.shutdown();
  process.exit(1);
}
if (consoleSub) {
  const consolePort = await consoleSub.ready;
  if (consolePort !== undefined) {
    const { consoleHost } = await import("./console.ts");
    infoEvent(T_SERVER, "console listening", { addr: `${consoleHost(consoleSub)}:${consolePort}` });
  }
}
const metricsUrl = await telemetry.metricsUrl;
if (metricsUrl !== undefined) infoEvent(T_SERVER, "serving metrics", { url: metricsUrl });
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
  // Order matters: the server's last spans (connections closing) close before the exporter
  // flushes, and the process exits only once they are sent.
  server
    .close()
    .then(() => telemetry.shutdown())
    .catch((err: unknown) => {
      warnEvent(T_SERVER, "telemetry shutdown failed", { error: String(err) });
    })
    .then(() => {
      consoleSub?.close();
      process.exit(0);
    });
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));
