// @periscope/console-subscriber: the console layer, aggregator, gRPC server and recorder that let
// tokio-console (or `periscope console`) watch a Node program's tasks and resources.
export { type Clock, ManualClock, systemClock } from "./clock.ts";
export { Builder, builder, type ConsoleStats, ConsoleSubscriber, init } from "./console.ts";
export {
  ASYNC_OP_POLL_SPAN,
  ASYNC_OP_SPAN,
  ASYNC_OP_STATE_UPDATE_TARGET,
  POLL_OP_TARGET,
  RESOURCE_SPAN,
  RESOURCE_STATE_UPDATE_TARGET,
  SPAWN_SPAN,
  WAKER_TARGETS,
} from "./conventions.ts";
export { ConsoleLayer } from "./layer.ts";
export {
  type ConsoleOptions,
  DEFAULTS,
  ENV,
  MIN_RETAIN_BYTES,
  optionsFromEnv,
  parseBind,
  parseBytes,
  parseDuration,
} from "./options.ts";
export { MAX_MESSAGE_BYTES } from "./update-encoder.ts";
export { EVENT_LOOP_RESOURCE_ID, WARNINGS_RESOURCE_ID } from "./warnings.ts";
