// The one place mini-redis talks to the tracing API: target names, and thin helpers for the
// events and spans the server emits. Until @periscope/tracing lands these are no-ops, so that
// instrumenting is a change to this file only.

export const T_SERVER = "mini_redis::server";
export const T_CONN = "mini_redis::connection";
export const T_CMD = "mini_redis::cmd";
export const T_DB = "mini_redis::db";
export const T_PUBSUB = "mini_redis::pubsub";

export type Fields = Record<string, string | number | boolean | bigint | undefined>;

export interface SpanHandle {
  record(field: string, value: string | number): void;
  close(): void;
}

const NOOP_SPAN: SpanHandle = { record() {}, close() {} };

export function infoEvent(_target: string, _message: string, _fields?: Fields): void {}
export function debugEvent(_target: string, _message: string, _fields?: Fields): void {}
export function warnEvent(_target: string, _message: string, _fields?: Fields): void {}
export function errorEvent(_target: string, _message: string, _fields?: Fields): void {}

/** A span per connection, carrying the peer address. */
export function connectionSpan(_peer: string): SpanHandle {
  return NOOP_SPAN;
}

/** Whether per-command spans are wanted; checked before building one (the hot path). */
export function commandSpansEnabled(): boolean {
  return false;
}

/** A span per command: its name, and its key where it has one. */
export function commandSpan(_parent: SpanHandle, _name: string, _key?: string): SpanHandle {
  return NOOP_SPAN;
}
