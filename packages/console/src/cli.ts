// `periscope console [ADDR]` and `periscope replay FILE`: options, validation with stable error
// codes, then the app.
import { parseArgs } from "node:util";
import { DEFAULT_CONSOLE_ADDRESS, grpcTarget } from "@periscope/console-api";
import { runApp } from "./app.ts";
import { Console } from "./console.ts";
import { parseDuration } from "./duration.ts";
import { ALL_LINTS, resolveLints } from "./lints.ts";
import { ReplayError, readRecording } from "./replay.ts";

export const USAGE = `usage: periscope console [ADDR] [options]
       periscope replay FILE [options]

The live console for any console-api server (Periscope's or a Rust program's
console-subscriber). ADDR defaults to ${DEFAULT_CONSOLE_ADDRESS}.

options:
  --retain-for DUR   keep completed tasks and resources listed this long (default 6s;
                     e.g. 500ms, 30s, 2m)
  -W, --warn LINTS   lints to run, comma-separated (default: all)
  -A, --allow LINTS  lints to switch off, comma-separated, or "all"
                     lints: ${ALL_LINTS.join(", ")}
  --no-colors        no colours (also when NO_COLOR is set)
  --ascii-only       only ASCII in borders, arrows and charts
  --replay FILE      play a recording instead of connecting
  -h, --help         this text

keys: press ? in the console.`;

function fail(code: string, message: string): number {
  process.stderr.write(`periscope console: ${code}: ${message}\n`);
  return 2;
}

export async function runConsoleCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    return fail("PERISCOPE_CONSOLE_USAGE", `${(e as Error).message}; see --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) {
    return fail(
      "PERISCOPE_CONSOLE_USAGE",
      `expected at most one ADDR, got ${positionals.length}; see --help`,
    );
  }
  const lints = resolveLints(values.warn ?? [], values.allow ?? []);
  if (!Array.isArray(lints)) {
    return fail(
      "PERISCOPE_CONSOLE_LINT",
      `unknown lint ${JSON.stringify(lints.unknown)}; use one of ${ALL_LINTS.join(", ")} or all`,
    );
  }
  let retainForNs: number | undefined;
  if (values["retain-for"] !== undefined) {
    retainForNs = parseDuration(values["retain-for"]);
    if (retainForNs === undefined) {
      return fail(
        "PERISCOPE_CONSOLE_RETAIN",
        `--retain-for ${JSON.stringify(values["retain-for"])} is not a duration; use e.g. 6s, 500ms or 2m`,
      );
    }
  }
  const address = positionals[0] ?? DEFAULT_CONSOLE_ADDRESS;
  let recording: ReturnType<typeof readRecording> | undefined;
  if (values.replay !== undefined) {
    try {
      recording = readRecording(values.replay);
    } catch (e) {
      if (e instanceof ReplayError) {
        process.stderr.write(`periscope console: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  } else {
    try {
      grpcTarget(address);
    } catch (e) {
      process.stderr.write(`periscope console: ${(e as Error).message}\n`);
      return 2;
    }
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    return fail(
      "PERISCOPE_CONSOLE_TTY",
      "the console needs an interactive terminal on stdin and stdout; run it in a terminal, not through a pipe",
    );
  }
  const noColor = values["no-colors"] === true || (process.env.NO_COLOR ?? "") !== "";
  const con = new Console({
    source: recording ? `replay ${values.replay}` : address,
    replay: recording !== undefined,
    colors: !noColor,
    ascii: values["ascii-only"] === true,
    lints,
    retainForNs,
  });
  return runApp({ console: con, address, recording, input: process.stdin, output: process.stdout });
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      "retain-for": { type: "string" },
      warn: { type: "string", short: "W", multiple: true },
      allow: { type: "string", short: "A", multiple: true },
      "no-colors": { type: "boolean" },
      "ascii-only": { type: "boolean" },
      replay: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
