// The attributes tracing-opentelemetry adds beside a span's or event's fields: source location
// (`code.*`, in the old names upstream uses or the stable ones), the thread, and errors with
// their cause chain.
import * as workerThreads from "node:worker_threads";
import type { Attributes } from "@opentelemetry/api";
import type { Metadata } from "@periscope/tracing";
import { causes, errorMessage, stackWithCauses } from "./errors.ts";

/**
 * Which names the source location goes under: "legacy" `code.filepath`, `code.namespace`,
 * `code.lineno` (as tracing-opentelemetry writes them), "stable" `code.file.path`,
 * `code.line.number`, `code.column.number` (current semantic conventions), or "both".
 */
export type CodeAttributes = "legacy" | "stable" | "both";

export function codeAttributes(meta: Metadata, mode: CodeAttributes, into: Attributes): void {
  if (mode !== "stable") {
    if (meta.file !== undefined) into["code.filepath"] = meta.file;
    // Rust's module path; the target plays that part here (e.g. "mini_redis::server").
    into["code.namespace"] = meta.target;
    if (meta.line !== undefined) into["code.lineno"] = meta.line;
  }
  if (mode !== "legacy") {
    if (meta.file !== undefined) into["code.file.path"] = meta.file;
    if (meta.line !== undefined) into["code.line.number"] = meta.line;
    if (meta.column !== undefined) into["code.column.number"] = meta.column;
  }
}

// Read once: a thread's id and name never change. Rust names its main thread "main"; Node 24
// names a worker after `new Worker(file, { name })` (`threadName`; absent on older Node).
const THREAD_ID = workerThreads.threadId;
const THREAD_NAME: unknown = workerThreads.isMainThread
  ? "main"
  : (workerThreads as { threadName?: unknown }).threadName;

export function threadAttributes(into: Attributes): void {
  into["thread.id"] = THREAD_ID;
  if (typeof THREAD_NAME === "string" && THREAD_NAME !== "") into["thread.name"] = THREAD_NAME;
}

/**
 * An Error-valued field, as upstream's `record_error`: `name` is the message and `name.chain`
 * the causes' messages; with `exceptions`, also `exception.message`, `exception.type` and
 * `exception.stacktrace` (the stack and each cause's).
 */
export function errorFieldAttributes(
  name: string,
  e: Error,
  exceptions: boolean,
  into: Attributes,
): void {
  const chain = causes(e);
  const message = errorMessage(e);
  if (exceptions) exceptionAttributes(e, chain, into);
  into[name] = message;
  into[`${name}.chain`] = chain.map(errorMessage);
}

export function exceptionAttributes(e: Error, chain: readonly unknown[], into: Attributes): void {
  into["exception.message"] = errorMessage(e);
  try {
    into["exception.type"] = String(e.name);
  } catch {
    // An error with a throwing getter still gets its message recorded.
  }
  into["exception.stacktrace"] = stackWithCauses(e, chain);
}

/** The exception attributes an error event also puts on its span (upstream's records-to-exceptions). */
export function spanExceptionAttributes(e: Error): Attributes {
  const into: Attributes = {};
  exceptionAttributes(e, causes(e), into);
  return into;
}
