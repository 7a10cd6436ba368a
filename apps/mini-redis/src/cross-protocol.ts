// Cross-protocol scripting: a web page (or a forged server-side request) can make a browser send
// an HTTP request to a Redis on localhost, with Redis commands hidden in its body. Redis treats
// `POST` and `Host:` as commands that mean "this is HTTP" and drops the connection; so do we.
import type { Args } from "./args.ts";
import type { Shared } from "./session.ts";
import { type SpanHandle, T_SERVER, warnEvent } from "./trace.ts";

/** Redis's words, so that whoever greps their logs for them finds ours too. */
const SECURITY_WARNING =
  "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.";

/** Whether the command is `POST` or `Host:` (any case), which start an HTTP request. */
export function isCrossProtocol(args: Args): boolean {
  const n = args.len(0);
  return (n === 4 && args.is(0, "post")) || (n === 5 && args.is(0, "host:"));
}

/** Logs the warning, at most once a minute as Redis does: an attack must not flood the log. */
export function warnCrossProtocol(shared: Shared, peer: string, span: SpanHandle): void {
  const now = shared.clock.now();
  if (now - shared.lastSecurityWarning <= 60_000) return;
  shared.lastSecurityWarning = now;
  warnEvent(T_SERVER, SECURITY_WARNING, { peer }, span);
}
