// The shape of a command: how many arguments it takes, how it runs, and where its key is.
// Like tokio's mini-redis `cmd` module, each command's parsing and behaviour live together; the
// table in `table.ts` maps names to them.
import type { Args } from "../args.ts";
import type { Session } from "../session.ts";

export interface Command {
  /** Lower-case name, as Redis reports it in errors. */
  name: string;
  /**
   * Redis's arity: a positive n means exactly n arguments (the name included), a negative -n
   * means at least n.
   */
  arity: number;
  /** Index of the key argument, for the command's span; 0 when it has none. */
  keyIndex: number;
  /** Allowed while the connection is in subscribe mode. */
  inSubscribeMode?: boolean;
  /** Runs the command, writing its reply (or replies) to `s.out`. May throw CommandError. */
  run(args: Args, s: Session): void;
}
