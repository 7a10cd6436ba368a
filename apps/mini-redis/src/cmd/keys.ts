// Commands on the key space: GET, SET, DEL, EXISTS, TTL, PTTL, DBSIZE, FLUSHDB.
// Replies and error texts are Redis 7's, byte for byte, so clients that parse them keep working.
import { type Args, CommandError } from "../args.ts";
import { OK } from "../reply.ts";
import type { Session } from "../session.ts";
import type { Command } from "./command.ts";

/**
 * GET key
 *
 * Replies with the value as a bulk string, or the null bulk string (`$-1`) when the key is
 * missing or expired.
 */
export const get: Command = {
  name: "get",
  arity: 2,
  keyIndex: 1,
  run(args, s) {
    const k = key(args, 1, s);
    const value = k === undefined ? undefined : s.shared.db.get(k);
    if (value === undefined) s.out.nil();
    else s.out.bulkShared(value);
  },
};

// Flags of SET, as bits, so that option conflicts are checked the way Redis checks them.
const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const ANY_EXPIRY = EX | PX | EXAT | PXAT;

/**
 * SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-seconds |
 * PXAT unix-milliseconds | KEEPTTL]
 *
 * Replies `+OK`, or `$-1` when NX/XX prevented the write; with GET, replies the old value
 * instead. Options may come in any order; conflicting ones are a syntax error, as in Redis.
 */
export const set: Command = {
  name: "set",
  arity: -3,
  keyIndex: 1,
  run(args, s) {
    let flags = 0;
    let expireArg = 0;
    for (let j = 3; j < args.argc; j++) {
      const hasNext = j + 1 < args.argc;
      if (args.is(j, "nx") && !(flags & XX)) flags |= NX;
      else if (args.is(j, "xx") && !(flags & NX)) flags |= XX;
      else if (args.is(j, "get")) flags |= GET;
      else if (args.is(j, "keepttl") && !(flags & ANY_EXPIRY)) flags |= KEEPTTL;
      else if (args.is(j, "ex") && !(flags & (KEEPTTL | PX | EXAT | PXAT)) && hasNext) {
        flags |= EX;
        expireArg = ++j;
      } else if (args.is(j, "px") && !(flags & (KEEPTTL | EX | EXAT | PXAT)) && hasNext) {
        flags |= PX;
        expireArg = ++j;
      } else if (args.is(j, "exat") && !(flags & (KEEPTTL | EX | PX | PXAT)) && hasNext) {
        flags |= EXAT;
        expireArg = ++j;
      } else if (args.is(j, "pxat") && !(flags & (KEEPTTL | EX | PX | EXAT)) && hasNext) {
        flags |= PXAT;
        expireArg = ++j;
      } else {
        throw new CommandError("ERR syntax error");
      }
    }

    const db = s.shared.db;
    let expiresAt = 0;
    if (flags & ANY_EXPIRY) {
      const now = s.shared.clock.now();
      const n = args.int(expireArg);
      const invalid = new CommandError("ERR invalid expire time in 'set' command");
      if (n <= 0) throw invalid;
      if (flags & EX) expiresAt = now + n * 1000;
      else if (flags & PX) expiresAt = now + n;
      else if (flags & EXAT) expiresAt = n * 1000;
      else expiresAt = n;
      if (!Number.isSafeInteger(expiresAt)) throw invalid;
    }

    const key = args.str(1);
    const old = flags & (GET | NX | XX | KEEPTTL) ? db.get(key) : undefined;
    if (flags & GET) {
      if (old === undefined) s.out.nil();
      else s.out.bulkShared(old);
    }
    if ((flags & NX && old !== undefined) || (flags & XX && old === undefined)) {
      if (!(flags & GET)) s.out.nil();
      return;
    }
    if (flags & KEEPTTL) expiresAt = db.deadline(key);
    // The value is copied out of the read buffer, which the next read will overwrite.
    db.set(key, args.copy(2), expiresAt);
    if (!(flags & GET)) s.out.raw(OK);
  },
};

/**
 * Argument `i` as a key to look up, or undefined when it is longer than any key ever stored:
 * no string is made of a huge key that cannot exist.
 */
function key(args: Args, i: number, s: Session): string | undefined {
  return args.len(i) > s.shared.db.longestKey ? undefined : args.str(i);
}

/** DEL key [key ...]: replies with the number of keys removed. */
export const del: Command = {
  name: "del",
  arity: -2,
  keyIndex: 1,
  run(args, s) {
    let n = 0;
    for (let i = 1; i < args.argc; i++) {
      const k = key(args, i, s);
      if (k !== undefined && s.shared.db.delete(k)) n++;
    }
    s.out.integer(n);
  },
};

/** EXISTS key [key ...]: replies how many of the keys exist (a key named twice counts twice). */
export const exists: Command = {
  name: "exists",
  arity: -2,
  keyIndex: 1,
  run(args, s) {
    let n = 0;
    for (let i = 1; i < args.argc; i++) {
      const k = key(args, i, s);
      if (k !== undefined && s.shared.db.get(k) !== undefined) n++;
    }
    s.out.integer(n);
  },
};

function ttlCommand(name: string, divisor: number): Command {
  return {
    name,
    arity: 2,
    keyIndex: 1,
    run(args: Args, s: Session) {
      const k = key(args, 1, s);
      const ms = k === undefined ? -2 : s.shared.db.ttl(k);
      // -1 (no deadline) and -2 (no key) pass through; Redis rounds seconds to the nearest.
      s.out.integer(ms < 0 ? ms : Math.floor((ms + divisor / 2) / divisor));
    },
  };
}

/** TTL key: seconds left; -1 without a deadline, -2 without the key. */
export const ttl = ttlCommand("ttl", 1000);
/** PTTL key: milliseconds left; -1 without a deadline, -2 without the key. */
export const pttl = ttlCommand("pttl", 1);

/** DBSIZE: number of keys, counting expired keys not yet purged (as Redis does). */
export const dbsize: Command = {
  name: "dbsize",
  arity: 1,
  keyIndex: 0,
  run(_args, s) {
    s.out.integer(s.shared.db.size);
  },
};

/** FLUSHDB / FLUSHALL [ASYNC | SYNC]: removes every key. */
function flush(name: string): Command {
  return {
    name,
    arity: -1,
    keyIndex: 0,
    run(args: Args, s: Session) {
      if (args.argc > 2 || (args.argc === 2 && !args.is(1, "async") && !args.is(1, "sync"))) {
        throw new CommandError("ERR syntax error");
      }
      s.shared.db.clear();
      s.out.raw(OK);
    },
  };
}
export const flushdb = flush("flushdb");
export const flushall = flush("flushall");
