// Running one command, with the checks Redis makes first (does it exist, is the argument count
// right, is it allowed in subscribe mode), its span, and the Db lock. Errors become error
// replies and, when command spans are on, error spans that carry the reply's text.
import { type Args, CommandError } from "./args.ts";
import { arityError, lookup, subscribeModeError, unknownCommandError } from "./cmd/table.ts";
import { isCrossProtocol } from "./cross-protocol.ts";
import type { Session } from "./session.ts";
import { commandSpan, commandSpansEnabled, errorEvent, type SpanHandle, T_CMD } from "./trace.ts";

const INTERNAL_ERROR = "ERR internal error in mini-redis; the server log has the details";

/** A session that can also be told it received an HTTP request. */
export interface CommandHost extends Session {
  /** A `POST` or `Host:` command arrived (see cross-protocol.ts): drop the connection. */
  onHttpRequest(): void;
}

/**
 * Runs the command in `args` for `s`, writing its reply to `s.out`. `connection` is the
 * connection's span, the command span's parent.
 */
export function runCommand(s: CommandHost, args: Args, connection: SpanHandle): void {
  const cmd = lookup(args);
  if (cmd === undefined) {
    if (isCrossProtocol(args)) s.onHttpRequest();
    else reject(s, connection, args.textPrefix(0, 64), unknownCommandError(args));
    return;
  }
  const arity = arityError(cmd, args);
  if (arity !== undefined) {
    reject(s, connection, cmd.name, arity);
    return;
  }
  if (s.channels.size > 0 && !cmd.inSubscribeMode && !s.out.resp3) {
    reject(s, connection, cmd.name, subscribeModeError(cmd));
    return;
  }
  // One span per command, but only when a subscriber wants it: on the hot path a disabled
  // span costs this one check.
  const span = commandSpansEnabled()
    ? commandSpan(
        connection,
        cmd.name,
        cmd.keyIndex > 0 ? keyForSpan(args, cmd.keyIndex) : undefined,
      )
    : undefined;
  // The Db lock (tokio's mini-redis keeps its state behind a std Mutex). Commands never await,
  // so the critical section is one synchronous call and the lock is always free here: tryLock
  // is the whole cost, and the console still shows the lock and how often it is taken.
  const metrics = s.shared.metrics;
  const t0 = metrics === undefined ? 0 : performance.now();
  const guard = s.shared.dbLock.tryLock();
  if (guard === undefined) {
    errorEvent(T_CMD, "db lock held across an await (a bug)", { name: cmd.name }, connection);
    s.out.error(INTERNAL_ERROR);
    span?.record("error", INTERNAL_ERROR).close();
    return;
  }
  try {
    cmd.run(args, s);
  } catch (err) {
    let message = INTERNAL_ERROR;
    if (err instanceof CommandError) {
      message = err.message;
    } else {
      // A bug in a command must cost one reply, not the whole server.
      errorEvent(T_CMD, "command failed", { name: cmd.name, error: String(err) }, connection);
    }
    s.out.error(message);
    // The span's status becomes an error with the reply's text, in the viewer as in Jaeger.
    span?.record("error", message);
  } finally {
    guard.release();
    span?.close();
    metrics?.command(cmd.name, (performance.now() - t0) / 1000);
  }
}

/**
 * The error reply to a command that is not run (unknown, wrong arity, not allowed in
 * subscribe mode), with a command span marked as failed when spans are wanted.
 */
function reject(s: Session, connection: SpanHandle, name: string, message: string): void {
  s.out.error(message);
  if (commandSpansEnabled()) commandSpan(connection, name, undefined, message).close();
}

/** The key as a span field: text, cut at 128 bytes (a key may be 512 MB). */
function keyForSpan(args: Args, i: number): string {
  return args.len(i) > 128 ? `${args.textPrefix(i, 128)}…` : args.text(i);
}
