// The module hook that applies spawn-sites.ts as modules load (module.registerHooks, in-thread),
// so spawn() gets its call site's location without a stack capture (see README, "Spawn locations").
import module from "node:module";
import { transformSpawnCalls } from "./spawn-sites.ts";

type LoadResult = { format?: string | null; source?: unknown; shortCircuit?: boolean };
type NextLoad = (url: string, context?: unknown) => LoadResult;
type RegisterHooks = (hooks: {
  load: (url: string, context: unknown, next: NextLoad) => LoadResult;
}) => unknown;
type Strip = (code: string, opts: { mode: "strip" }) => string;

const KEY = Symbol.for("periscope.auto.spawnSites");
type Global = { [KEY]?: boolean };

function text(source: unknown): string | undefined {
  if (typeof source === "string") return source;
  if (source instanceof Uint8Array) return Buffer.from(source).toString("utf8");
  return undefined;
}

/**
 * TypeScript is stripped here (as Node would after this hook), keeping every position: blanks
 * replace the types. Node warns that stripTypeScriptTypes is experimental; it is Node's own type
 * stripping, already in use for a .ts module, so that one warning is not passed on.
 */
function stripTypes(strip: Strip, ts: string): string {
  const emit = process.emitWarning;
  process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
    const msg = typeof w === "string" ? w : w?.message;
    if (typeof msg === "string" && msg.includes("stripTypeScriptTypes")) return;
    (emit as (...a: unknown[]) => void).call(process, w, ...rest);
  }) as typeof process.emitWarning;
  try {
    return strip(ts, { mode: "strip" });
  } finally {
    process.emitWarning = emit;
  }
}

/** The load hook's work on one module: the rewritten result, or undefined to keep Node's. */
export function rewriteLoaded(url: string, r: LoadResult): LoadResult | undefined {
  if (!url.startsWith("file:")) return undefined;
  const ts = r.format === "module-typescript";
  if (r.format !== "module" && !ts) return undefined;
  let src = text(r.source);
  if (src === undefined) return undefined;
  if (ts) {
    const strip = (module as { stripTypeScriptTypes?: Strip }).stripTypeScriptTypes;
    if (typeof strip !== "function" || !src.includes("@periscope/runtime")) return undefined;
    src = stripTypes(strip, src);
  }
  const out = transformSpawnCalls(src);
  return out === undefined ? undefined : { ...r, format: "module", source: out };
}

/**
 * Registers the hook for the modules loaded from now on (so: from `--import`, before the main
 * module). False where Node has no module.registerHooks (before 22.15 / 23.5): spawn() then
 * captures its locations. Registering twice is harmless.
 */
export function registerSpawnSites(): boolean {
  const g = globalThis as Global;
  if (g[KEY] === true) return true;
  const reg = (module as { registerHooks?: RegisterHooks }).registerHooks;
  if (typeof reg !== "function") return false;
  reg({
    load(url, context, next) {
      const r = next(url, context);
      try {
        return rewriteLoaded(url, r) ?? r;
      } catch {
        // a module the transform cannot handle loads as it is: its spawns capture locations
        return r;
      }
    },
  });
  g[KEY] = true;
  return true;
}
