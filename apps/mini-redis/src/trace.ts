// The one place mini-redis meets the tracing API: target names, the connection and command span
// callsites, and event helpers. Targets follow tokio's mini-redis module paths, so
// `PERISCOPE_LOG=mini_redis=debug` (or `mini_redis::connection=trace`) selects them.
import { callsite, Level, logger, type Span } from "@periscope/tracing";

export const T_SERVER = "mini_redis::server";
export const T_CONN = "mini_redis::connection";
export const T_CMD = "mini_redis::cmd";
export const T_DB = "mini_redis::db";

export type Fields = Record<string, string | number | boolean | bigint | undefined>;
export type SpanHandle = Span;

/** Where an event belongs: a span, or undefined for "the current span". */
type Parent = Span | undefined;

export function infoEvent(target: string, message: string, fields?: Fields, parent?: Parent): void {
  logger(target).info(message, fields, parent ? { parent } : undefined);
}
export function debugEvent(
  target: string,
  message: string,
  fields?: Fields,
  parent?: Parent,
): void {
  logger(target).debug(message, fields, parent ? { parent } : undefined);
}
export function warnEvent(target: string, message: string, fields?: Fields, parent?: Parent): void {
  logger(target).warn(message, fields, parent ? { parent } : undefined);
}
export function errorEvent(
  target: string,
  message: string,
  fields?: Fields,
  parent?: Parent,
): void {
  logger(target).error(message, fields, parent ? { parent } : undefined);
}

// Declared once at module level: their interest is cached, so a disabled span costs a compare
// and a load on the hot path.
const CONNECTION = callsite({
  kind: "span",
  level: Level.INFO,
  target: T_CONN,
  name: "connection",
  fields: ["peer", "id", "otel.kind"],
});
const COMMAND = callsite({
  kind: "span",
  level: Level.DEBUG,
  target: T_CMD,
  name: "cmd",
  fields: ["command", "key", "otel.name", "error"],
});

/** A span per connection, carrying the peer address and the client id; a root span. */
export function connectionSpan(peer: string, id: number): Span {
  // `otel.kind`: a server span in Jaeger and other OpenTelemetry backends.
  return CONNECTION.span({ peer, id, "otel.kind": "server" }, null);
}

/** Whether per-command spans are wanted; checked before computing their fields. */
export function commandSpansEnabled(): boolean {
  return COMMAND.enabled();
}

/**
 * A span per command, child of its connection's span: the name, and the key where there is one.
 * Also logs the command at debug, as tokio's mini-redis does with `debug!(?cmd)`. A command
 * that failed carries its error reply in `error` (given here, or recorded later), which the
 * OpenTelemetry layer turns into the span's error status.
 */
export function commandSpan(parent: Span, name: string, key?: string, error?: string): Span {
  // `command`, not `name`: JSON output puts span fields next to the span's own name.
  // `otel.name`: backends list operations by command (SET, GET), as Redis instrumentations do.
  const span = COMMAND.span({ command: name, key, "otel.name": name.toUpperCase(), error }, parent);
  CMD_LOG.debug("received command", undefined, { parent: span });
  return span;
}
const CMD_LOG = logger(T_CMD);

export const T_CLIENT = "mini_redis::client";
const CLIENT_CMD = callsite({
  kind: "span",
  level: Level.DEBUG,
  target: T_CLIENT,
  name: "cmd",
  fields: ["command", "key", "peer", "otel.kind", "otel.name"],
});

/**
 * A client-side span per request, from send to reply, child of the caller's current span;
 * undefined (no cost beyond the check) when nobody wants it.
 */
export function clientCommandSpan(
  command: string,
  key: string | undefined,
  peer: string,
): Span | undefined {
  if (!CLIENT_CMD.enabled()) return undefined;
  return CLIENT_CMD.span({
    command,
    key,
    peer,
    "otel.kind": "client",
    "otel.name": command.toUpperCase(),
  });
}
