// The attach command line: `periscope attach PID [--bind ADDR]`, and the PID half of
// `periscope console --pid PID`, with every error as one line carrying its code.
import { parseArgs } from "node:util";
import { AttachError, attach } from "./attach.ts";

export const ATTACH_USAGE = `usage: periscope attach PID [--bind ADDR] [--timeout MS]

Installs the console (and the task instrumentation of @periscope/auto, from now on) into the
running Node process PID, prints the console's address and exits. The process must belong to
you and must not have been started with --disable-sigusr1. Then: periscope console ADDR.`;

export interface AttachArgs {
  pid: number;
  bind: string | undefined;
  timeoutMs: number | undefined;
}

export function parseAttachArgs(argv: string[]): AttachArgs | string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    return (e as Error).message;
  }
  const [pidText, ...more] = parsed.positionals;
  if (pidText === undefined || more.length > 0) return "expected exactly one PID";
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText) || !Number.isSafeInteger(pid) || pid <= 0)
    return `PID must be a positive integer, got ${JSON.stringify(pidText)}`;
  const t = parsed.values.timeout;
  const timeoutMs = t === undefined ? undefined : Number(t);
  if (timeoutMs !== undefined && !(timeoutMs > 0))
    return "--timeout must be a positive number of ms";
  return { pid, bind: parsed.values.bind, timeoutMs };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      bind: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** Attaches and returns the console address, or prints the error and returns undefined. */
export async function attachOrReport(
  a: AttachArgs,
  allowAlready: boolean,
): Promise<string | undefined> {
  try {
    return (await attach(a.pid, { bind: a.bind, timeoutMs: a.timeoutMs })).address;
  } catch (e) {
    if (e instanceof AttachError) {
      if (allowAlready && e.code === "PERISCOPE_ATTACH_ALREADY" && e.address !== undefined)
        return e.address;
      process.stderr.write(`periscope attach: ${e.message} (${e.code})\n`);
    } else
      process.stderr.write(`periscope attach: ${(e as Error).message} (PERISCOPE_ATTACH_FAILED)\n`);
    return undefined;
  }
}

export async function runAttachCli(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(`${ATTACH_USAGE}\n`);
    return 0;
  }
  const a = parseAttachArgs(argv);
  if (typeof a === "string") {
    process.stderr.write(`periscope attach: ${a} (PERISCOPE_ATTACH_USAGE)\n${ATTACH_USAGE}\n`);
    return 2;
  }
  const address = await attachOrReport(a, false);
  if (address === undefined) return 1;
  process.stdout.write(
    `attached to process ${a.pid}: console at ${address}\nwatch it with: periscope console ${address}\n`,
  );
  return 0;
}

/** `console --pid PID [--bind ADDR] ...rest`: the rest goes to the console, with the address. */
export async function consoleArgsForPid(argv: string[]): Promise<string[] | number> {
  const rest: string[] = [];
  let pidText: string | undefined;
  let bind: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--pid") pidText = argv[++i];
    else if (a.startsWith("--pid=")) pidText = a.slice(6);
    else if (a === "--bind") bind = argv[++i];
    else if (a.startsWith("--bind=")) bind = a.slice(7);
    else rest.push(a);
  }
  if (pidText === undefined) return argv;
  const parsed = parseAttachArgs(bind === undefined ? [pidText] : [pidText, "--bind", bind]);
  if (typeof parsed === "string") {
    process.stderr.write(`periscope console: --pid: ${parsed} (PERISCOPE_ATTACH_USAGE)\n`);
    return 2;
  }
  const address = await attachOrReport(parsed, true);
  if (address === undefined) return 1;
  return [...rest, address];
}
