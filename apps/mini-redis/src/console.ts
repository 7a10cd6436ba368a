// `--console`: the console subscriber (@periscope/console-subscriber), which serves tokio's
// console-api so `tokio-console` or `periscope console` can watch the server's tasks and locks.
// Imported only when the console is wanted (see console-env.ts).
import { builder, type ConsoleSubscriber, parseBind } from "@periscope/console-subscriber";

/**
 * Starts the console server (PERISCOPE_CONSOLE_BIND, default 127.0.0.1:6669, and the other
 * PERISCOPE_CONSOLE_* variables). Add `[c.layer, c.filter]` to the logging layers; the filter
 * enables only the runtime's callsites for it, so the log filter is unaffected.
 */
export function startConsole(): ConsoleSubscriber {
  return builder().withDefaultEnv().spawn();
}

/** The address the console listens on, for the server's log. */
export function consoleHost(c: ConsoleSubscriber): string {
  return parseBind(c.options.bind)?.host ?? "127.0.0.1";
}
