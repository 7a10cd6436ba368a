// Settings from console.toml files, the environment and the flags, merged in that order as
// tokio-console does: the XDG config dir's periscope/console.toml, then ./console.toml, then
// the command line. The same keys as tokio-console's console.toml; `gen-config` prints them.
import { readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONSOLE_ADDRESS } from "@periscope/console-api";
import { parse, stringify } from "smol-toml";
import { ALL_LINTS } from "./lints.ts";
import { PALETTES, type Palette } from "./styles.ts";

export interface Settings {
  address: string;
  /** The console's own log level: off, error, warn, info, debug or trace. */
  log: string;
  warn: string[];
  /** Lints to switch off; ["all"] for all of them. */
  allow: string[];
  logDir: string;
  retainFor: string;
  lang: string;
  asciiOnly: boolean;
  colors: boolean;
  truecolor: boolean;
  palette: Palette;
  durationColors: boolean;
  terminatedColors: boolean;
}

export function defaultSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    address: DEFAULT_CONSOLE_ADDRESS,
    log: "off",
    warn: [...ALL_LINTS],
    allow: [],
    logDir: join(tmpdir(), "periscope-console", "logs"),
    retainFor: "6s",
    // Not LANG: a bare "C" locale in CI would turn every terminal to ASCII. --lang does that.
    lang: "en_US.UTF-8",
    asciiOnly: false,
    colors: true,
    truecolor: /^(24bit|truecolor)$/i.test(env.COLORTERM ?? ""),
    palette: "16",
    durationColors: true,
    terminatedColors: true,
  };
}

export class ConfigError extends Error {
  readonly code = "PERISCOPE_CONSOLE_CONFIG";
}

/** Where console.toml is looked for, lowest precedence first. */
export function configPaths(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return [join(base, "periscope", "console.toml"), join(cwd, "console.toml")];
}

type Table = Record<string, unknown>;

const SHAPE: Record<string, Record<string, string>> = {
  "": {
    default_target_addr: "string",
    log: "string",
    warnings: "string[]",
    allow_warnings: "string[]",
    log_directory: "string",
    retention: "string",
    charset: "table",
    colors: "table",
  },
  charset: { lang: "string", ascii_only: "boolean" },
  colors: { enabled: "boolean", truecolor: "boolean", palette: "string", enable: "table" },
  "colors.enable": { durations: "boolean", terminated: "boolean" },
};

function check(file: string, t: Table, path: string): void {
  const shape = SHAPE[path] as Record<string, string>;
  for (const [k, v] of Object.entries(t)) {
    const key = path ? `${path}.${k}` : k;
    const want = shape[k];
    if (want === undefined) {
      throw new ConfigError(
        `${file}: unknown key "${key}"; the keys are those \`periscope console gen-config\` prints`,
      );
    }
    const ok =
      want === "table"
        ? typeof v === "object" && v !== null && !Array.isArray(v)
        : want === "string[]"
          ? Array.isArray(v) && v.every((x) => typeof x === "string")
          : typeof v === want;
    // allow_warnings may also be the string "all", as in tokio-console.
    if (!ok && !(k === "allow_warnings" && v === "all")) {
      throw new ConfigError(`${file}: "${key}" must be ${want.replace("[]", "s (an array)")}`);
    }
    if (want === "table") check(file, v as Table, key);
  }
}

/** The settings one console.toml sets; throws ConfigError for bad TOML or bad keys. */
export function readConfigFile(file: string, text: string): Partial<Settings> {
  let t: Table;
  try {
    t = parse(text) as Table;
  } catch (e) {
    throw new ConfigError(`${file} is not valid TOML: ${(e as Error).message.split("\n")[0]}`);
  }
  check(file, t, "");
  const out: Partial<Settings> = {};
  const cs = (t.charset ?? {}) as Table;
  const co = (t.colors ?? {}) as Table;
  const en = (co.enable ?? {}) as Table;
  if (t.default_target_addr !== undefined) out.address = t.default_target_addr as string;
  if (t.log !== undefined) out.log = t.log as string;
  if (t.warnings !== undefined) out.warn = t.warnings as string[];
  if (t.allow_warnings !== undefined) {
    out.allow = t.allow_warnings === "all" ? ["all"] : (t.allow_warnings as string[]);
  }
  if (t.log_directory !== undefined) out.logDir = t.log_directory as string;
  if (t.retention !== undefined) out.retainFor = t.retention as string;
  if (cs.lang !== undefined) out.lang = cs.lang as string;
  if (cs.ascii_only !== undefined) out.asciiOnly = cs.ascii_only as boolean;
  if (co.enabled !== undefined) out.colors = co.enabled as boolean;
  if (co.truecolor !== undefined) out.truecolor = co.truecolor as boolean;
  if (co.palette !== undefined) {
    if (!(PALETTES as readonly string[]).includes(co.palette as string)) {
      throw new ConfigError(`${file}: "colors.palette" must be one of ${PALETTES.join(", ")}`);
    }
    out.palette = co.palette as Palette;
  }
  if (en.durations !== undefined) out.durationColors = en.durations as boolean;
  if (en.terminated !== undefined) out.terminatedColors = en.terminated as boolean;
  return out;
}

/** Defaults, then each existing config file in order; a missing file is no error. */
export function loadConfig(paths: string[], env: NodeJS.ProcessEnv = process.env): Settings {
  let s = defaultSettings(env);
  for (const p of paths) {
    let text: string;
    try {
      text = readFileSync(p, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new ConfigError(`cannot read ${p}: ${(e as Error).message}`);
    }
    s = { ...s, ...readConfigFile(p, text) };
  }
  return s;
}

/** console.toml for these settings (what `gen-config` prints). */
export function generateConfig(s: Settings): string {
  return stringify({
    default_target_addr: s.address,
    log: s.log,
    warnings: s.warn,
    allow_warnings: s.allow.includes("all") ? "all" : s.allow,
    log_directory: s.logDir,
    retention: s.retainFor,
    charset: { lang: s.lang, ascii_only: s.asciiOnly },
    colors: {
      enabled: s.colors,
      truecolor: s.truecolor,
      palette: s.palette,
      enable: { durations: s.durationColors, terminated: s.terminatedColors },
    },
  });
}
