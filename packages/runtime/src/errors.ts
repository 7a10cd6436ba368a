// Errors a user of the runtime can hit: each carries a stable code and a sentence saying what
// to do, so callers can branch on `err.code` instead of parsing messages.

export type RuntimeErrorCode =
  | "PERISCOPE_TASK_CANCELLED"
  | "PERISCOPE_TASK_FAILED"
  | "PERISCOPE_CHANNEL_CLOSED"
  | "PERISCOPE_CHANNEL_FULL"
  | "PERISCOPE_CHANNEL_EMPTY"
  | "PERISCOPE_CHANNEL_LAGGED"
  | "PERISCOPE_SEMAPHORE_CLOSED"
  | "PERISCOPE_WOULD_BLOCK"
  | "PERISCOPE_TIMEOUT"
  | "PERISCOPE_INVALID_ARGUMENT"
  | "PERISCOPE_ALREADY_RELEASED";

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "RuntimeError";
    this.code = code;
  }
}

/** How a task ended without a value: aborted through its JoinHandle, or threw. */
export class JoinError extends RuntimeError {
  readonly taskId: bigint;
  constructor(taskId: bigint, cancelled: boolean, cause: unknown) {
    super(
      cancelled ? "PERISCOPE_TASK_CANCELLED" : "PERISCOPE_TASK_FAILED",
      cancelled
        ? `task ${taskId} was aborted before it finished; abort() is cooperative, see the task's AbortSignal`
        : `task ${taskId} threw; the original error is in .cause`,
      { cause },
    );
    this.name = "JoinError";
    this.taskId = taskId;
  }
  isCancelled(): boolean {
    return this.code === "PERISCOPE_TASK_CANCELLED";
  }
}

/** A channel's other side is gone; `value` is what could not be delivered, if any. */
export class ClosedError<T = unknown> extends RuntimeError {
  readonly value: T | undefined;
  constructor(what: string, value?: T) {
    super(
      "PERISCOPE_CHANNEL_CLOSED",
      `${what}: the channel is closed; stop using this end or create a new channel`,
    );
    this.name = "ClosedError";
    this.value = value;
  }
}

/** The value of an aborted AbortSignal, or a standard AbortError when there is none. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

export function invalidArgument(message: string): RuntimeError {
  return new RuntimeError("PERISCOPE_INVALID_ARGUMENT", message);
}
