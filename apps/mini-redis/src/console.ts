// `--console`: the console subscriber (@periscope/console-subscriber), which serves tokio's
// console-api so `tokio-console` or `periscope console` can watch the server's tasks and locks.
import { builder, type ConsoleSubscriber } from "@periscope/console-subscriber";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether the console is wanted: `--console`, or PERISCOPE_CONSOLE set to anything but
 * "0"/"false", or any other PERISCOPE_CONSOLE_* variable set (configuring the console is asking
 * for it). PERISCOPE_CONSOLE=0 turns it off whatever else is set, except the flag.
 */
export function consoleWanted(flag: boolean, env: Env = process.env): boolean {
  if (flag) return true;
  const main = env.PERISCOPE_CONSOLE?.trim().toLowerCase();
  if (main !== undefined && main !== "") return main !== "0" && main !== "false";
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith("PERISCOPE_CONSOLE_") && value !== undefined && value !== "") return true;
  }
  return false;
}

/**
 * Starts the console server (PERISCOPE_CONSOLE_BIND, default 127.0.0.1:6669, and the other
 * PERISCOPE_CONSOLE_* variables). Add `[c.layer, c.filter]` to the logging layers; the filter
 * enables only the runtime's callsites for it, so the log filter is unaffected.
 */
export function startConsole(): ConsoleSubscriber {
  return builder().withDefaultEnv().spawn();
}
