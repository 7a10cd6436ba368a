// The command table: from a command's name to its implementation, and the checks Redis makes
// before running any command (does it exist, is the argument count right, is it allowed in
// subscribe mode), in Redis's order and with Redis's error texts.
import type { Args } from "../args.ts";
import type { Command } from "./command.ts";
import {
  client,
  command,
  config,
  echo,
  hello,
  info,
  ping,
  quit,
  select,
  wrongArity,
} from "./connection.ts";
import { dbsize, del, exists, flushall, flushdb, get, pttl, set, ttl } from "./keys.ts";
import { publish, subscribe, unsubscribe } from "./pubsub.ts";

const ALL: Command[] = [
  get,
  set,
  del,
  exists,
  ttl,
  pttl,
  dbsize,
  flushdb,
  flushall,
  publish,
  subscribe,
  unsubscribe,
  ping,
  echo,
  quit,
  select,
  hello,
  client,
  info,
  command,
  config,
];

// Both spellings are stored, so that the usual all-upper or all-lower name is found without
// lower-casing it first (which would allocate a second string per command).
const TABLE = new Map<string, Command>();
for (const c of ALL) {
  TABLE.set(c.name, c);
  TABLE.set(c.name.toUpperCase(), c);
}

/** Finds the command named by `args`' first argument, or undefined. */
export function lookup(args: Args): Command | undefined {
  if (args.len(0) > 16) return undefined;
  const name = args.str(0);
  return TABLE.get(name) ?? TABLE.get(name.toLowerCase());
}

/** The check that comes first in Redis: `-ERR unknown command 'x', with args beginning with: ...` */
export function unknownCommandError(args: Args): string {
  let rest = "";
  for (let i = 1; i < args.argc && rest.length < 128; i++) {
    rest += `'${args.str(i).slice(0, 128 - rest.length)}' `;
  }
  return `ERR unknown command '${args.str(0).slice(0, 128)}', with args beginning with: ${rest}`;
}

/** Returns the error text when `args` does not fit the command's arity, else undefined. */
export function arityError(cmd: Command, args: Args): string | undefined {
  const ok = cmd.arity > 0 ? args.argc === cmd.arity : args.argc >= -cmd.arity;
  return ok ? undefined : wrongArity(cmd.name).message;
}

/** Redis 7's error for a command sent in subscribe mode (RESP2) that is not allowed there. */
export function subscribeModeError(cmd: Command): string {
  return `ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
}
