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

/** The same hash as `Args.hashLower`, of a lower-case name. */
function hashName(name: string): number {
  let h = name.length;
  for (let j = 0; j < name.length; j++) h = (Math.imul(h, 31) + (name.charCodeAt(j) | 0x20)) | 0;
  return h;
}

// Keyed by a case-insensitive hash of the name, so that finding a command allocates nothing:
// no string for its name, no lower-casing. Each bucket is checked byte by byte with `args.is`.
const TABLE = new Map<number, Command[]>();
for (const c of ALL) {
  const h = hashName(c.name);
  TABLE.set(h, [...(TABLE.get(h) ?? []), c]);
}

/** Finds the command named by `args`' first argument, or undefined. */
export function lookup(args: Args): Command | undefined {
  if (args.len(0) > 16) return undefined;
  const bucket = TABLE.get(args.hashLower(0));
  if (bucket === undefined) return undefined;
  for (const c of bucket) if (args.is(0, c.name)) return c;
  return undefined;
}

/** The check that comes first in Redis: `-ERR unknown command 'x', with args beginning with: ...` */
export function unknownCommandError(args: Args): string {
  let rest = "";
  for (let i = 1; i < args.argc && rest.length < 128; i++) {
    rest += `'${args.strPrefix(i, 128 - rest.length)}' `;
  }
  return `ERR unknown command '${args.strPrefix(0, 128)}', with args beginning with: ${rest}`;
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
