// Public surface of @periscope/mini-redis: the server, the clients, and the pieces tests and
// benchmarks embed.
export { BufferedClient } from "./buffered-client.ts";
export { Client, type Message, RedisError, Subscriber } from "./client.ts";
export { type Clock, ManualClock, systemClock } from "./clock.ts";
export { decodeFrame, encodeCommand, type Frame, FrameError, INCOMPLETE } from "./frame.ts";
export { type LoggingOptions, setUpLogging } from "./logging.ts";
export { type CommandSink, DEFAULT_LIMITS, type ParserLimits, RequestParser } from "./parse.ts";
export { DEFAULT_PORT, type RunningServer, type ServerOptions, startServer } from "./server.ts";
export {
  ServerMetrics,
  setUpTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from "./telemetry.ts";
