// Connection and server commands: PING, ECHO, QUIT, SELECT, HELLO, CLIENT, INFO, COMMAND, CONFIG.
// Most exist because real clients send them when they connect (ioredis asks for INFO, node-redis
// and ioredis send CLIENT SETINFO, redis-benchmark reads CONFIG GET save/appendonly). They are
// answered as Redis answers them, or with the error those clients already know how to ignore.
import { CommandError } from "../args.ts";
import { OK, PONG } from "../reply.ts";
import type { Session } from "../session.ts";
import type { Command } from "./command.ts";

/** The Redis version we tell clients we speak; they use it to pick features. */
export const REDIS_VERSION = "7.0.0";
const PONG_ARRAY = Buffer.from("*2\r\n$4\r\npong\r\n");

/**
 * PING [message]
 *
 * `+PONG`, or the message as a bulk string. In subscribe mode Redis replies with a two-element
 * array instead (`pong` and the message, empty when none) so that the reply cannot be mistaken
 * for a pushed message's fields.
 */
export const ping: Command = {
  name: "ping",
  arity: -1,
  keyIndex: 0,
  inSubscribeMode: true,
  run(args, s) {
    if (args.argc > 2) throw wrongArity("ping");
    if (s.channels.size > 0 && !s.out.resp3) {
      s.out.raw(PONG_ARRAY);
      if (args.argc === 2) s.out.bulk(args.view(1));
      else s.out.bulkString("");
    } else if (args.argc === 2) {
      s.out.bulk(args.view(1));
    } else {
      s.out.raw(PONG);
    }
  },
};

/** ECHO message */
export const echo: Command = {
  name: "echo",
  arity: 2,
  keyIndex: 0,
  run(args, s) {
    s.out.bulk(args.view(1));
  },
};

/** QUIT: replies `+OK`, then the server closes the connection once the reply is sent. */
export const quit: Command = {
  name: "quit",
  arity: -1,
  keyIndex: 0,
  inSubscribeMode: true,
  run(_args, s) {
    s.out.raw(OK);
    s.closeAfterReply();
  },
};

/** SELECT index: mini-redis has one database, number 0. */
export const select: Command = {
  name: "select",
  arity: 2,
  keyIndex: 0,
  run(args, s) {
    const n = args.int(1);
    if (n !== 0) throw new CommandError("ERR DB index is out of range");
    s.out.raw(OK);
  },
};

/**
 * HELLO [protover [AUTH username password] [SETNAME clientname]]
 *
 * Switches the connection to RESP2 or RESP3 and describes the server (a map in RESP3, the same
 * pairs flattened to an array in RESP2). node-redis sends `HELLO 3` when it connects.
 */
export const hello: Command = {
  name: "hello",
  arity: -1,
  keyIndex: 0,
  run(args, s) {
    let i = 1;
    let resp3 = s.out.resp3;
    if (args.argc > 1) {
      const ver = args.str(1);
      if (!/^-?[0-9]{1,18}$/.test(ver)) {
        throw new CommandError("ERR Protocol version is not an integer or out of range");
      }
      if (ver !== "2" && ver !== "3")
        throw new CommandError("NOPROTO unsupported protocol version");
      resp3 = ver === "3";
      i = 2;
    }
    let name = s.name;
    for (; i < args.argc; i++) {
      if (args.is(i, "auth") && i + 2 < args.argc) {
        // Like a Redis without ACLs: the "default" user needs no password, any other is unknown.
        if (!args.is(i + 1, "default")) {
          throw new CommandError("WRONGPASS invalid username-password pair or user is disabled.");
        }
        i += 2;
      } else if (args.is(i, "setname") && i + 1 < args.argc) {
        name = args.text(++i);
      } else {
        throw new CommandError(`ERR Syntax error in HELLO option '${args.textPrefix(i, 128)}'`);
      }
    }
    // Only once every option is valid does anything change, as in Redis.
    s.name = name;
    s.out.resp3 = resp3;
    s.out.mapHeader(7);
    s.out.bulkString("server");
    s.out.bulkString("redis");
    s.out.bulkString("version");
    s.out.bulkString(REDIS_VERSION);
    s.out.bulkString("proto");
    s.out.integer(resp3 ? 3 : 2);
    s.out.bulkString("id");
    s.out.integer(s.id);
    s.out.bulkString("mode");
    s.out.bulkString("standalone");
    s.out.bulkString("role");
    s.out.bulkString("master");
    s.out.bulkString("modules");
    s.out.arrayHeader(0);
  },
};

/** CLIENT ID | GETNAME | SETNAME name | SETINFO attr value | INFO */
export const client: Command = {
  name: "client",
  arity: -2,
  keyIndex: 0,
  run(args, s) {
    const sub = args.strPrefix(1, 32).toLowerCase();
    const need = (n: number) => {
      if (args.argc !== n) throw wrongArity(`client|${sub}`);
    };
    switch (sub) {
      case "id":
        need(2);
        s.out.integer(s.id);
        return;
      case "getname":
        need(2);
        if (s.name === undefined) s.out.nil();
        else s.out.bulkString(s.name);
        return;
      case "setname":
        need(3);
        if (/[\s]/.test(args.text(2))) {
          throw new CommandError(
            "ERR Client names cannot contain spaces, newlines or special characters.",
          );
        }
        s.name = args.text(2) || undefined;
        s.out.raw(OK);
        return;
      case "setinfo":
        // Redis 7.2's way for client libraries to announce themselves; accepted and ignored.
        need(4);
        s.out.raw(OK);
        return;
      case "info":
        need(2);
        s.out.bulkString(
          `id=${s.id} name=${s.name ?? ""} db=0 sub=${s.channels.size} cmd=client|info\n`,
        );
        return;
      default:
        throw new CommandError(
          `ERR unknown subcommand '${args.textPrefix(1, 128)}'. Try CLIENT HELP.`,
        );
    }
  },
};

/** INFO [section]: the fields clients look at (ioredis waits while `loading:1`). */
export const info: Command = {
  name: "info",
  arity: -1,
  keyIndex: 0,
  run(_args, s) {
    const sh = s.shared;
    const uptime = Math.floor((sh.clock.now() - sh.startedAt) / 1000);
    const lines = [
      "# Server",
      `redis_version:${REDIS_VERSION}`,
      "redis_mode:standalone",
      "mini_redis:typescript",
      `process_id:${process.pid}`,
      `tcp_port:${sh.port}`,
      `uptime_in_seconds:${uptime}`,
      "",
      "# Clients",
      `connected_clients:${sh.clients}`,
      `maxclients:${sh.maxClients}`,
      "",
      "# Persistence",
      "loading:0",
      "",
      "# Replication",
      "role:master",
      "connected_slaves:0",
      "",
      "# Keyspace",
      sh.db.size > 0 ? `db0:keys=${sh.db.size},expires=0,avg_ttl=0` : "",
    ];
    s.out.verbatim(`${lines.join("\r\n")}\r\n`);
  },
};

/**
 * COMMAND [COUNT | DOCS | INFO ...]: mini-redis does not describe its commands. An empty
 * answer makes redis-cli skip its command hints, which is all it uses them for.
 */
export const command: Command = {
  name: "command",
  arity: -1,
  keyIndex: 0,
  run(args, s) {
    if (args.argc >= 2 && args.is(1, "count")) s.out.integer(0);
    else if (args.argc >= 2 && args.is(1, "docs")) s.out.mapHeader(0);
    else s.out.arrayHeader(0);
  },
};

/** CONFIG GET pattern [pattern ...] | CONFIG SET | CONFIG RESETSTAT */
export const config: Command = {
  name: "config",
  arity: -2,
  keyIndex: 0,
  run(args, s) {
    if (args.is(1, "get")) {
      if (args.argc < 3) throw wrongArity("config|get");
      const values = configValues(s);
      const out: string[] = [];
      for (let i = 2; i < args.argc; i++) {
        const re = globToRegExp(args.text(i).toLowerCase());
        for (const [k, v] of values) if (re.test(k) && !out.includes(k)) out.push(k, v);
      }
      s.out.mapHeader(out.length / 2);
      for (const x of out) s.out.bulkString(x);
    } else if (args.is(1, "resetstat")) {
      s.out.raw(OK);
    } else if (args.is(1, "set")) {
      throw new CommandError(
        "ERR mini-redis cannot change its configuration at run time; restart it with other options",
      );
    } else {
      throw new CommandError(
        `ERR unknown subcommand '${args.textPrefix(1, 128)}'. Try CONFIG HELP.`,
      );
    }
  },
};

function configValues(s: Session): Array<[string, string]> {
  const sh = s.shared;
  return [
    ["bind", sh.host],
    ["port", String(sh.port)],
    ["maxclients", String(sh.maxClients)],
    ["proto-max-bulk-len", String(sh.maxBulkLength)],
    [
      "client-output-buffer-limit",
      // No replicas here; their class shows Redis's default, so that the text matches Redis's.
      `normal 0 0 0 slave 268435456 67108864 60 pubsub ${sh.pubsubLimits.hard} ${sh.pubsubLimits.soft} ${sh.pubsubLimits.softSeconds}`,
    ],
    ["save", ""],
    ["appendonly", "no"],
    ["databases", "1"],
    ["timeout", String(sh.timeout)],
  ];
}

/** Redis's glob subset: `*`, `?`, and everything else literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Redis's arity error, e.g. `ERR wrong number of arguments for 'get' command`. */
export function wrongArity(name: string): CommandError {
  return new CommandError(`ERR wrong number of arguments for '${name}' command`);
}
