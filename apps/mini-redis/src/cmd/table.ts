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

/** Longest command name; a longer first argument names no command. */
const MAX_NAME = Math.max(...ALL.map((c) => c.name.length));

/** A name's bucket: its length and its first letter (case folded). */
function slot(length: number, firstLower: number): number {
  return length * 32 + (firstLower & 31);
}

// Bucketed by length and first letter, so that finding a command allocates nothing (no string
// of its name, no lower-casing) and reads one byte before comparing: cheaper, per command, than
// hashing the name for a Map. Each bucket (at most two names here) is checked with `args.is`.
const TABLE: (Command[] | undefined)[] = new Array((MAX_NAME + 1) * 32).fill(undefined);
for (const c of ALL) {
  const i = slot(c.name.length, c.name.charCodeAt(0));
  TABLE[i] = [...(TABLE[i] ?? []), c];
}

/** Finds the command named by `args`' first argument, or undefined. */
export function lookup(args: Args): Command | undefined {
  const n = args.len(0);
  if (n === 0 || n > MAX_NAME) return undefined;
  const bucket = TABLE[slot(n, args.byteLower(0, 0))];
  if (bucket === undefined) return undefined;
  for (let i = 0; i < bucket.length; i++) if (args.is(0, bucket[i]!.name)) return bucket[i];
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
