// The fmt layer: one line (or block) per event, in tracing-subscriber's full, compact, pretty or
// json shape, with the current span chain and its fields. Rendering never throws into the caller.
import { type EventRecord, type Fields, levelName, now } from "@periscope/tracing";
import type { Context, Layer, SpanRef } from "./layer.ts";
import { callerLocation } from "./location.ts";
import {
  DEFAULT_LIMITS,
  displayText,
  errorMessage,
  errorSources,
  isError,
  jsonString,
  jsonValue,
  nameText,
  type RenderLimits,
  textValue,
} from "./render.ts";
import { formatDuration, rfc3339Micros } from "./time.ts";
import { makeWriter, type Writer, type WriterOption } from "./writer.ts";

export type FmtFormat = "full" | "compact" | "pretty" | "json";
export const FORMATS: readonly FmtFormat[] = ["full", "compact", "pretty", "json"];

export interface FmtOptions {
  /** Default "full". */
  format?: FmtFormat;
  /** Default "stdout". */
  writer?: WriterOption;
  /** ANSI colours; default: only when the writer is a TTY and NO_COLOR is unset or empty. */
  ansi?: boolean;
  /** Milliseconds since the epoch; default: the event's own timestamp. Inject it in tests. */
  clock?: () => number;
  /** Print timestamps (default true). */
  timestamps?: boolean;
  /** Print the target (default true). */
  target?: boolean;
  /** Limits for rendering field values. */
  limits?: Partial<RenderLimits>;
  /** The environment consulted for NO_COLOR; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Also print a line when each span closes, with how long it was entered (`time.busy`) and
   * not (`time.idle`), like tracing-subscriber's `FmtSpan::CLOSE`. Default false: it makes the
   * layer listen to every enter and exit.
   */
  spanClose?: boolean;
  /** JSON shape switches, as tracing-subscriber's `Json` (defaults: false, true, true). */
  json?: {
    /** Event fields (and message) at the top level instead of under "fields". */
    flattenEvent?: boolean;
    /** Include "span": the innermost span with its fields. */
    currentSpan?: boolean;
    /** Include "spans": every span from root to leaf. */
    spanList?: boolean;
  };
}

interface Timing {
  busy: number;
  idle: number;
  last: number;
  entered: number;
}

/** The constant middle of a JSON line per level, one concatenation instead of three. */
const JSON_LEVEL = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].map(
  (l) => `","level":"${l}","fields":{`,
);
const LEVEL_PAD = ["TRACE", "DEBUG", " INFO", " WARN", "ERROR"];
const LEVEL_COLOR = ["\x1b[35m", "\x1b[34m", "\x1b[32m", "\x1b[33m", "\x1b[31m"];
const DIM = "\x1b[2m";
const BOLD = "\x1b[1m";
const ITALIC = "\x1b[3m";
const RESET = "\x1b[0m";

interface SpanCache {
  /** Text-format field list ("a=1 b=\"x\""), or JSON members ("\"a\":1,\"b\":\"x\""). */
  text: string;
  json: string;
  pretty: string;
}

export class FmtLayer implements Layer {
  readonly format: FmtFormat;
  readonly ansi: boolean;
  readonly #writer: Writer;
  readonly #clock: (() => number) | undefined;
  readonly #timestamps: boolean;
  readonly #flatten: boolean;
  readonly #currentSpan: boolean;
  readonly #spanList: boolean;
  readonly #target: boolean;
  readonly #limits: RenderLimits;
  /** Per-layer key for cached span field renderings, in span extensions. */
  readonly #key = Symbol("fmt span fields");
  // Present only with `spanClose`: the registry calls a layer only for the hooks it has.
  onNewSpan?: Layer["onNewSpan"];
  onEnter?: Layer["onEnter"];
  onExit?: Layer["onExit"];
  onClose?: Layer["onClose"];

  constructor(opts: FmtOptions = {}) {
    this.format = opts.format ?? "full";
    this.#writer = makeWriter(opts.writer);
    const env = opts.env ?? process.env;
    const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
    this.ansi = opts.ansi ?? (this.#writer.isTTY === true && !noColor);
    this.#clock = opts.clock;
    this.#timestamps = opts.timestamps ?? true;
    this.#flatten = opts.json?.flattenEvent ?? false;
    this.#currentSpan = opts.json?.currentSpan ?? true;
    this.#spanList = opts.json?.spanList ?? true;
    this.#target = opts.target ?? true;
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    if (opts.spanClose) this.#listenToSpans(opts.clock ?? now);
  }

  #listenToSpans(now: () => number): void {
    const key = Symbol("fmt span timing");
    const timing = (id: bigint, ctx: Context): Timing | undefined =>
      ctx.span(id)?.extensions.get(key) as Timing | undefined;
    this.onNewSpan = (attrs, ctx) => {
      ctx.span(attrs.id)?.extensions.set(key, { busy: 0, idle: 0, last: now(), entered: 0 });
    };
    this.onEnter = (id, ctx) => {
      const t = timing(id, ctx);
      if (t === undefined || t.entered++ > 0) return;
      const n = now();
      t.idle += n - t.last;
      t.last = n;
    };
    this.onExit = (id, ctx) => {
      const t = timing(id, ctx);
      if (t === undefined || --t.entered > 0) return;
      const n = now();
      t.busy += n - t.last;
      t.last = n;
    };
    this.onClose = (id, ctx) => {
      const span = ctx.span(id);
      const t = timing(id, ctx);
      if (span === undefined || t === undefined) return;
      const n = now();
      if (t.entered === 0) t.idle += n - t.last;
      const busy = formatDuration(t.busy * 1e6);
      const idle = formatDuration(t.idle * 1e6);
      // Text formats show the durations bare, as tracing does; JSON keeps them as fields.
      const json = this.format === "json";
      this.onEvent(
        {
          metadata: span.metadata,
          message: json ? "close" : `close time.busy=${busy} time.idle=${idle}`,
          fields: json ? { "time.busy": busy, "time.idle": idle } : {},
          parent: id,
          timestamp: n,
        },
        ctx,
      );
    };
  }

  onEvent(event: EventRecord, ctx: Context): void {
    let out: string;
    try {
      out = this.formatEvent(event, ctx);
    } catch {
      return;
    }
    this.#writer.write(out);
  }

  onRecord(id: bigint, _values: Fields, ctx: Context): void {
    ctx.span(id)?.extensions.delete(this.#key);
  }

  /** The text this layer writes for an event (exposed for tests and custom sinks). */
  formatEvent(event: EventRecord, ctx: Context): string {
    const scope = event.parent === undefined ? EMPTY_SCOPE : ctx.spanScope(event.parent);
    switch (this.format) {
      case "json":
        return this.#json(event, scope);
      case "pretty":
        return this.#pretty(event, scope);
      case "compact":
        return this.#compact(event, scope);
      default:
        return this.#full(event, scope);
    }
  }

  #time(event: EventRecord): string {
    return rfc3339Micros(this.#clock ? this.#clock() : event.timestamp);
  }

  #cache(span: SpanRef): SpanCache {
    const ext = span.extensions;
    let c = ext.get(this.#key) as SpanCache | undefined;
    if (c === undefined) {
      c = { text: "", json: "", pretty: "" };
      const lim = this.#limits;
      const text: string[] = [];
      const json: string[] = [];
      const pretty: string[] = [];
      const fields = span.fields;
      for (const k of Object.keys(fields)) {
        const v = fields[k];
        if (v === undefined) continue;
        text.push(this.#item(k, v, false));
        pretty.push(this.#item(k, v, true));
        json.push(`${jsonString(k, lim)}:${jsonValue(v, lim)}`);
      }
      c.text = text.join(" ");
      c.json = json.join(",");
      c.pretty = pretty.join(", ");
      ext.set(this.#key, c);
    }
    return c;
  }

  /** `ts LEVEL ` with optional colour. */
  #head(event: EventRecord): string {
    const level = event.metadata.level;
    let s = "";
    if (this.#timestamps)
      s = this.ansi ? `${DIM}${this.#time(event)}${RESET} ` : `${this.#time(event)} `;
    const pad = LEVEL_PAD[level] ?? levelName(level);
    return this.ansi ? `${s}${LEVEL_COLOR[level] ?? ""}${pad}${RESET} ` : `${s}${pad} `;
  }

  #targetText(event: EventRecord): string {
    if (!this.#target) return "";
    const t = displayText(event.metadata.target, this.#limits);
    return this.ansi ? `${DIM}${t}:${RESET} ` : `${t}: `;
  }

  /** Event message then fields, space separated: `msg a=1 b="x"`. */
  #eventFields(event: EventRecord, sep: string, pretty: boolean): string {
    const lim = this.#limits;
    let s = event.message === undefined ? "" : displayText(event.message, lim);
    const fields = event.fields;
    for (const k in fields) {
      const v = fields[k];
      if (v === undefined) continue;
      const item = this.#item(k, v, pretty);
      s = s === "" ? item : `${s}${sep}${item}`;
    }
    return s;
  }

  /**
   * One field, `name=value` (pretty: `name: value`). An error shows its message and, when it
   * has causes, `name.sources=[cause, cause]`, as upstream's `record_error`.
   */
  #item(k: string, v: unknown, pretty: boolean): string {
    const lim = this.#limits;
    const one = (name: string, tv: string): string =>
      pretty
        ? this.ansi
          ? `${BOLD}${name}${RESET}: ${tv}`
          : `${name}: ${tv}`
        : this.ansi
          ? `${ITALIC}${name}${RESET}${DIM}=${RESET}${tv}`
          : `${name}=${tv}`;
    const name = nameText(k);
    if (!isError(v)) return one(name, textValue(v, lim));
    const sources = errorSources(v);
    const head = one(name, displayText(errorMessage(v), lim));
    if (sources.length === 0) return head;
    const list = `[${sources.map((c) => displayText(c, lim)).join(", ")}]`;
    return `${head}${pretty ? ", " : " "}${one(nameText(`${k}.sources`), list)}`;
  }

  #spanName(span: SpanRef): string {
    const n = displayText(span.metadata.name, this.#limits);
    return this.ansi ? `${BOLD}${n}${RESET}` : n;
  }

  #full(event: EventRecord, scope: SpanRef[]): string {
    let s = this.#head(event);
    if (scope.length > 0) {
      for (let i = scope.length - 1; i >= 0; i--) {
        const span = scope[i] as SpanRef;
        const f = this.#cache(span).text;
        s += this.#spanName(span);
        if (f !== "") s += this.ansi ? `${BOLD}{${RESET}${f}${BOLD}}${RESET}` : `{${f}}`;
        s += this.ansi ? `${DIM}:${RESET}` : ":";
      }
      s += " ";
    }
    return `${s}${this.#targetText(event)}${this.#eventFields(event, " ", false)}\n`;
  }

  #compact(event: EventRecord, scope: SpanRef[]): string {
    let s = this.#head(event);
    if (scope.length > 0) {
      for (let i = scope.length - 1; i >= 0; i--) {
        s += this.#spanName(scope[i] as SpanRef);
        s += this.ansi ? `${DIM}:${RESET}` : ":";
      }
      s += " ";
    }
    s += this.#targetText(event) + this.#eventFields(event, " ", false);
    // Compact moves the span fields after the event's own, root first.
    for (let i = scope.length - 1; i >= 0; i--) {
      const f = this.#cache(scope[i] as SpanRef).text;
      if (f !== "") s += ` ${f}`;
    }
    return `${s}\n`;
  }

  #pretty(event: EventRecord, scope: SpanRef[]): string {
    const meta = event.metadata;
    let s = `  ${this.#head(event)}${this.#targetText(event)}${this.#eventFields(event, ", ", true)}\n`;
    const loc =
      meta.file !== undefined
        ? { file: meta.file, line: meta.line }
        : meta.kind === "event"
          ? callerLocation()
          : undefined;
    if (loc !== undefined) {
      const at = `${displayText(loc.file, this.#limits)}${loc.line === undefined ? "" : `:${loc.line}`}`;
      s += this.ansi ? `    ${ITALIC}at${RESET} ${at}\n` : `    at ${at}\n`;
    }
    for (const span of scope) {
      const target = displayText(span.metadata.target, this.#limits);
      const f = this.#cache(span).pretty;
      const name = `${target}::${displayText(span.metadata.name, this.#limits)}`;
      const head = this.ansi ? `    ${ITALIC}in${RESET} ${BOLD}${name}${RESET}` : `    in ${name}`;
      s +=
        f === "" ? `${head}\n` : `${head} ${this.ansi ? `${ITALIC}with${RESET}` : "with"} ${f}\n`;
    }
    return `${s}\n`;
  }

  // JSON is built by hand rather than with JSON.stringify(object): building the intermediate
  // object and stringifying it took 1.6x as long per event in a side-by-side measurement (same
  // event, alternating rounds), JSON.stringify throws on bigint and cycles anyway, and this way
  // span fields are serialised once per span (cached), not once per event.
  #json(event: EventRecord, scope: SpanRef[]): string {
    const lim = this.#limits;
    let s = '{"timestamp":"';
    s += this.#time(event);
    const level = event.metadata.level;
    s += this.#flatten
      ? `","level":"${levelName(level)}"`
      : (JSON_LEVEL[level] ?? `","level":"${levelName(level)}","fields":{`);
    // Flattened, every member follows "level" and so starts with a comma.
    let first = !this.#flatten;
    // An empty message is no message (upstream writes no "message" key for it).
    if (event.message !== undefined && event.message !== "") {
      if (!first) s += ",";
      s += `"message":${jsonString(event.message, lim)}`;
      first = false;
    }
    const fields = event.fields;
    for (const k in fields) {
      const v = fields[k];
      if (v === undefined) continue;
      if (!first) s += ",";
      first = false;
      s += jsonString(k, lim);
      s += ":";
      // The common scalar cases inline; everything else through the safe walker.
      if (typeof v === "string") s += jsonString(v, lim);
      else if (typeof v === "number" && Number.isFinite(v)) s += v;
      else if (typeof v === "boolean") s += v ? "true" : "false";
      else s += jsonValue(v, lim);
    }
    s += this.#flatten ? ',"target":' : '},"target":';
    s += jsonString(event.metadata.target, lim);
    if (scope.length > 0) {
      if (this.#currentSpan) {
        s += ',"span":';
        s += this.#jsonSpan(scope[0] as SpanRef);
      }
      if (this.#spanList) {
        s += ',"spans":[';
        for (let i = scope.length - 1; i >= 0; i--) {
          s += this.#jsonSpan(scope[i] as SpanRef);
          if (i > 0) s += ",";
        }
        s += "]";
      }
    }
    return `${s}}\n`;
  }

  #jsonSpan(span: SpanRef): string {
    const f = this.#cache(span).json;
    const name = jsonString(span.metadata.name, this.#limits);
    return f === "" ? `{"name":${name}}` : `{${f},"name":${name}}`;
  }
}

const EMPTY_SCOPE: SpanRef[] = [];

/** A fmt layer: `registry().with(fmtLayer({ format: "json" }), envFilter())`. */
export function fmtLayer(opts: FmtOptions = {}): FmtLayer {
  return new FmtLayer(opts);
}

/** Parses a PERISCOPE_LOG_FORMAT value; undefined when it names no format. */
export function parseFormat(text: string | undefined): FmtFormat | undefined {
  const t = text?.trim().toLowerCase();
  return FORMATS.find((f) => f === t);
}
