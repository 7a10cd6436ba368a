// init(): the one call most programs need: a Registry with the fmt layer filtered by EnvFilter
// from PERISCOPE_LOG, formatted per PERISCOPE_LOG_FORMAT, plus any extra layers, installed globally.
import { EnvFilter } from "./env-filter.ts";
import { type FmtFormat, fmtLayer, parseFormat } from "./fmt.ts";
import type { Filter, Layer } from "./layer.ts";
import { type Registry, registry } from "./registry.ts";
import type { WriterOption } from "./writer.ts";

export interface InitOptions {
  /** Output format; default PERISCOPE_LOG_FORMAT, else "full". */
  format?: FmtFormat;
  /**
   * Directives used when PERISCOPE_LOG is unset or empty (default "info"); or an EnvFilter to
   * use as it is (keep it to `reload()` later).
   */
  filter?: string | EnvFilter;
  /** Where lines go; default "stdout". */
  writer?: WriterOption;
  /** Force colours on or off; default: on a TTY unless NO_COLOR is set. */
  ansi?: boolean;
  /**
   * More layers, e.g. the console or OpenTelemetry layer. PERISCOPE_LOG filters only the fmt
   * layer; give `[layer, filter]` to filter another layer too.
   */
  layers?: readonly (Layer | readonly [Layer, Filter])[];
  /** The environment to read; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since the epoch for timestamps; inject it in tests. */
  clock?: () => number;
  /** Print a line with busy and idle time when each span closes (fmt's `spanClose`). */
  spanClose?: boolean;
  /** Where configuration warnings go; default stderr. */
  onWarning?: (message: string) => void;
}

/**
 * Builds `registry().with(fmtLayer(), EnvFilter.fromEnv()).with(...layers)`, installs it as the
 * global subscriber and returns it.
 */
export function init(opts: InitOptions = {}): Registry {
  const env = opts.env ?? process.env;
  const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`${m}\n`));
  const filter =
    opts.filter instanceof EnvFilter
      ? opts.filter
      : EnvFilter.fromEnv({
          environment: env,
          defaultDirective: opts.filter ?? "info",
          onWarning: warn,
        });
  let format = opts.format;
  if (format === undefined) {
    const raw = env.PERISCOPE_LOG_FORMAT;
    format = parseFormat(raw);
    if (format === undefined && raw !== undefined && raw.trim() !== "") {
      warn(
        `periscope: PERISCOPE_LOG_FORMAT=${JSON.stringify(raw)} is not a format (PERISCOPE_BAD_FORMAT). Use full, compact, pretty or json; using full.`,
      );
    }
  }
  const reg = registry().with(
    fmtLayer({
      format: format ?? "full",
      writer: opts.writer,
      ansi: opts.ansi,
      clock: opts.clock,
      env,
      spanClose: opts.spanClose,
    }),
    filter,
  );
  for (const l of opts.layers ?? []) {
    if (Array.isArray(l)) reg.with(l[0] as Layer, l[1] as Filter);
    else reg.with(l as Layer);
  }
  return reg.init();
}
