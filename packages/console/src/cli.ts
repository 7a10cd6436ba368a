// `periscope console [ADDR]` and `periscope replay FILE`: options, validation with stable error
// codes, then the app.
import { parseArgs } from "node:util";
import { DEFAULT_CONSOLE_ADDRESS, grpcTarget } from "@periscope/console-api";
import { runApp } from "./app.ts";
import { completionScript, SHELLS, type Shell } from "./completions.ts";
import {
  ConfigError,
  configPaths,
  defaultSettings,
  generateConfig,
  loadConfig,
  type Settings,
} from "./config.ts";
import { Console } from "./console.ts";
import { parseDuration } from "./duration.ts";
import { ALL_LINTS, resolveLints } from "./lints.ts";
import { isLogLevel, LOG_LEVELS, type Log, openLog } from "./log.ts";
import { ReplayError, readRecording } from "./replay.ts";
import { PALETTES, type Palette } from "./styles.ts";

export const USAGE = `usage: periscope console [ADDR] [options]
       periscope replay FILE [options]
       periscope console gen-config [options]      print console.toml for these options
       periscope console gen-completion SHELL      bash, zsh or fish completions

The live console for any console-api server (Periscope's or a Rust program's
console-subscriber). ADDR defaults to ${DEFAULT_CONSOLE_ADDRESS}. Defaults come from
$XDG_CONFIG_HOME/periscope/console.toml (~/.config/...), then ./console.toml.

options:
  --retain-for DUR      keep completed tasks and resources listed this long (default 6s;
                        e.g. 500ms, 30s, 2m)
  -W, --warn LINTS      lints to run, comma-separated (default: all)
  -A, --allow LINTS     lints to switch off, comma-separated, or "all"
                        lints: ${ALL_LINTS.join(", ")}
  --no-colors           no colours (also when NO_COLOR is set)
  --palette P           ${PALETTES.join(", ")} (default 16)
  --colorterm V         overrides COLORTERM (24bit or truecolor)
  --no-duration-colors  no colours for duration units
  --no-terminated-colors  do not dim completed tasks
  --ascii-only          only ASCII in borders, arrows, state icons and charts
  --lang L              a locale; a non-UTF-8 one means --ascii-only
  --log LEVEL           the console's own log: ${LOG_LEVELS.join(", ")} (default off;
                        also PERISCOPE_CONSOLE_LOG)
  --log-dir DIR         where its log files go (default ${defaultSettings().logDir})
  --replay FILE         play a recording instead of connecting
  -h, --help            this text

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
  if (positionals[0] === "gen-completion") {
    const shell = positionals[1];
    if (positionals.length !== 2 || !(SHELLS as readonly string[]).includes(shell ?? "")) {
      return fail("PERISCOPE_CONSOLE_USAGE", `gen-completion takes one of ${SHELLS.join(", ")}`);
    }
    process.stdout.write(completionScript(shell as Shell));
    return 0;
  }
  let settings: Settings;
  try {
    settings = { ...loadConfig(configPaths()), ...fromEnv(process.env), ...fromFlags(values) };
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.code, e.message);
    throw e;
  }
  const genConfig = positionals[0] === "gen-config";
  const addrs = genConfig ? positionals.slice(1) : positionals;
  if (addrs.length > 1) {
    return fail(
      "PERISCOPE_CONSOLE_USAGE",
      `expected at most one ADDR, got ${addrs.length}; see --help`,
    );
  }
  if (addrs[0] !== undefined) settings.address = addrs[0];
  const lints = resolveLints(settings.warn, settings.allow);
  if (!Array.isArray(lints)) {
    return fail(
      "PERISCOPE_CONSOLE_LINT",
      `unknown lint ${JSON.stringify(lints.unknown)}; use one of ${ALL_LINTS.join(", ")} or all`,
    );
  }
  const retainForNs = parseDuration(settings.retainFor);
  if (retainForNs === undefined) {
    return fail(
      "PERISCOPE_CONSOLE_RETAIN",
      `--retain-for ${JSON.stringify(settings.retainFor)} is not a duration; use e.g. 6s, 500ms or 2m`,
    );
  }
  if (!isLogLevel(settings.log)) {
    return fail(
      "PERISCOPE_CONSOLE_USAGE",
      `--log ${JSON.stringify(settings.log)} is not a level; use one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  if (!(PALETTES as readonly string[]).includes(settings.palette)) {
    return fail(
      "PERISCOPE_CONSOLE_USAGE",
      `--palette ${JSON.stringify(settings.palette)}: use one of ${PALETTES.join(", ")}`,
    );
  }
  if (genConfig) {
    process.stdout.write(generateConfig(settings));
    return 0;
  }
  const address = settings.address;
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
  let log: Log;
  try {
    log = openLog(settings.log, settings.logDir);
  } catch (e) {
    return fail("PERISCOPE_CONSOLE_LOG", `${(e as Error).message}; pass another --log-dir`);
  }
  log.write("info", `periscope console ${recording ? `replay ${values.replay}` : address}`);
  const con = new Console({
    source: recording ? `replay ${values.replay}` : address,
    replay: recording !== undefined,
    colors: settings.colors && (process.env.NO_COLOR ?? "") === "",
    palette: settings.palette,
    durationColors: settings.durationColors,
    terminatedColors: settings.terminatedColors,
    ascii: settings.asciiOnly || !/utf-?8/i.test(settings.lang),
    lints,
    retainForNs,
  });
  return runApp({
    console: con,
    address,
    recording,
    input: process.stdin,
    output: process.stdout,
    log,
  });
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
      palette: { type: "string" },
      colorterm: { type: "string" },
      "no-duration-colors": { type: "boolean" },
      "no-terminated-colors": { type: "boolean" },
      "ascii-only": { type: "boolean" },
      lang: { type: "string" },
      log: { type: "string" },
      "log-dir": { type: "string" },
      replay: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof parse>["values"];

function fromEnv(env: NodeJS.ProcessEnv): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (env.PERISCOPE_CONSOLE_LOG) out.log = env.PERISCOPE_CONSOLE_LOG;
  return out;
}

/** Only what was given: an absent flag leaves the config file's value. */
function fromFlags(v: Values): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (v["retain-for"] !== undefined) out.retainFor = v["retain-for"];
  if (v.warn !== undefined) out.warn = v.warn;
  if (v.allow !== undefined) out.allow = v.allow;
  if (v["no-colors"]) out.colors = false;
  if (v.palette !== undefined) out.palette = v.palette as Palette;
  if (v.colorterm !== undefined) out.truecolor = /^(24bit|truecolor)$/i.test(v.colorterm);
  if (v["no-duration-colors"]) out.durationColors = false;
  if (v["no-terminated-colors"]) out.terminatedColors = false;
  if (v["ascii-only"]) out.asciiOnly = true;
  if (v.lang !== undefined) out.lang = v.lang;
  if (v.log !== undefined) out.log = v.log;
  if (v["log-dir"] !== undefined) out.logDir = v["log-dir"];
  return out;
}
