// What is known about a span or event before it happens: its name, target, level, where it was
// declared and which fields it may carry. Subscribers decide interest from Metadata alone.
import type { Level } from "./level.ts";

export type Kind = "span" | "event";

export interface Metadata {
  /** Span name, or for events a short name ("event", or the name given to the callsite). */
  readonly name: string;
  /** Usually a module path such as "mini_redis::server"; EnvFilter directives match its prefix. */
  readonly target: string;
  readonly level: Level;
  readonly kind: Kind;
  /** Field names declared up front; values may be recorded later for spans. */
  readonly fields: readonly string[];
  readonly file?: string | undefined;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
}

/**
 * Values a field may carry. Objects and Errors are passed through as they are; it is the
 * subscriber's job to render them safely (cycles, throwing getters, huge strings).
 */
export type FieldValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | Error
  | symbol
  | ((...args: never[]) => unknown)
  | object;

export type Fields = Record<string, FieldValue>;
