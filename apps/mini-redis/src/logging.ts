// Installs the process-wide tracing subscriber for the mini-redis commands: the fmt layer,
// filtered by PERISCOPE_LOG (an EnvFilter; default "info"). This is also where `--console` (the
// console layer from @periscope/console-subscriber) and `--otlp` (@periscope/tracing-opentelemetry)
// plug in: each is one more entry in `layers`, on the same registry.
import { type InitOptions, init } from "@periscope/tracing-subscriber";

export type LogFormat = "full" | "compact" | "pretty" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["full", "compact", "pretty", "json"];

export interface LoggingOptions {
  /** Output format of the fmt layer; default PERISCOPE_LOG_FORMAT, else "full". */
  format?: LogFormat;
  /** Extra layers (console, OpenTelemetry), added after the fmt layer. */
  layers?: InitOptions["layers"];
  /** Where log lines go; default stdout. The CLI sends them to stderr to keep stdout for replies. */
  writer?: InitOptions["writer"];
}

/**
 * Sets up logging. Never throws: a server must run even when its logging cannot start; it says
 * why on stderr and returns false.
 */
export function setUpLogging(options: LoggingOptions = {}): boolean {
  try {
    init({
      format: options.format,
      filter: "info",
      layers: options.layers,
      writer: options.writer,
    });
    return true;
  } catch (err) {
    process.stderr.write(`mini-redis: logging disabled: ${(err as Error).message}\n`);
    return false;
  }
}
