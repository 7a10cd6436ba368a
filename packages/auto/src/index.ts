// @periscope/auto: `node --import @periscope/auto app.js` shows an unmodified Node program in the
// console (connections, requests, outgoing calls, handles) and, when OTEL_* ask, over OTLP.
// Importing this module starts it (once per process), configured by environment variables only.
import { start } from "./start.ts";

export { AUTO_ENV, type AutoConfig, configFromEnv } from "./env.ts";
export { roughDuration, routeMatched } from "./requests.ts";
export { collapsePath } from "./routes.ts";
export { registerSpawnSites } from "./spawn-hooks.ts";
export { transformSpawnCalls } from "./spawn-sites.ts";
export { type AutoHandle, running, start } from "./start.ts";

// `periscope attach` leaves its options here before loading this module into a running process.
const ATTACH = Symbol.for("periscope.auto.attach");
const attach = (globalThis as { [ATTACH]?: { bind?: string } })[ATTACH];
if (attach === undefined) start();
else {
  delete (globalThis as { [ATTACH]?: unknown })[ATTACH];
  const env = { ...process.env };
  if (attach.bind !== undefined) env.PERISCOPE_CONSOLE_BIND = attach.bind;
  start({ env, via: "attach" });
}
