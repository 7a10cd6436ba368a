// @periscope/tracing: the instrumentation API. Spans and events with levels and fields,
// callsites with cached interest, the current span across await, and one global subscriber.
export { Callsite, type CallsiteOptions, callsite } from "./callsite.ts";
export { type Clock, now } from "./clock.ts";
export {
  type CurrentSpan,
  globalDefault,
  rebuildInterest,
  setGlobalDefault,
  withSubscriber,
} from "./dispatch.ts";
export { type InstrumentOptions, instrument, instrumented } from "./instrument.ts";
export { Level, LevelFilter, levelName, parseLevelFilter } from "./level.ts";
export { type EventOptions, Logger, logger, type SpanOptions } from "./logger.ts";
export type { Fields, FieldValue, Kind, Metadata } from "./metadata.ts";
export { currentSpan, type ParentOption, Span } from "./span.ts";
export {
  type EventRecord,
  Interest,
  NoSubscriber,
  type SpanAttributes,
  type Subscriber,
} from "./subscriber.ts";

import { Level } from "./level.ts";
import { logger } from "./logger.ts";
import type { Fields } from "./metadata.ts";
import type { Span } from "./span.ts";

const app = logger("app");
/** Events and spans on the default target "app"; use logger(target) in libraries. */
export const trace = (message: string, fields?: Fields): void => app.trace(message, fields);
export const debug = (message: string, fields?: Fields): void => app.debug(message, fields);
export const info = (message: string, fields?: Fields): void => app.info(message, fields);
export const warn = (message: string, fields?: Fields): void => app.warn(message, fields);
export const error = (message: string, fields?: Fields): void => app.error(message, fields);
export const span = (name: string, fields?: Fields, level: Level = Level.INFO): Span =>
  app.span(level, name, fields);
