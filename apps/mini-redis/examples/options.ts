// What every example accepts: `--host`, `--port` (default 127.0.0.1:6379, or MINI_REDIS_PORT) and
// `--otlp` (export the client's spans as service mini-redis-client). Not an example itself.
import { parseArgs } from "node:util";
import { setUpLogging, setUpTelemetry } from "@periscope/mini-redis";

export interface ExampleOptions {
  host: string;
  port: number;
  /** Positional arguments (chat's name). */
  rest: string[];
  /** Flushes exported spans; await it before the example ends. */
  done(): Promise<void>;
}

export function exampleOptions(name: string): ExampleOptions {
  let values: { host?: string | undefined; port?: string | undefined; otlp?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: { host: { type: "string" }, port: { type: "string" }, otlp: { type: "boolean" } },
      allowPositionals: true,
    }));
  } catch (err) {
    process.stderr.write(
      `${name}: ${(err as Error).message} (MINI_REDIS_USAGE)\nUsage: ${name} [--host 127.0.0.1] [--port 6379] [--otlp]\n`,
    );
    process.exit(2);
  }
  const rawPort = values.port ?? process.env.MINI_REDIS_PORT ?? "6379";
  const port = Number(rawPort);
  if (!/^[0-9]+$/.test(rawPort) || port < 1 || port > 65535) {
    process.stderr.write(
      `${name}: --port must be an integer from 1 to 65535, got "${rawPort}" (MINI_REDIS_USAGE)\n`,
    );
    process.exit(2);
  }
  let done = async () => {};
  if (values.otlp === true) {
    const telemetry = setUpTelemetry({ serviceName: "mini-redis-client", otlp: true });
    // Logs go to stderr so the example's own output stays as it was.
    setUpLogging({ layers: telemetry.layers, writer: "stderr" });
    done = telemetry.shutdown;
  }
  return { host: values.host ?? "127.0.0.1", port, rest: positionals, done };
}
