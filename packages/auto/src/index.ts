// @periscope/auto: `node --import @periscope/auto app.js` shows an unmodified Node program in the
// console (connections, requests, outgoing calls, handles) and, when OTEL_* ask, over OTLP.
// Importing this module starts it (once per process), configured by environment variables only.
import { start } from "./start.ts";

export { AUTO_ENV, type AutoConfig, configFromEnv } from "./env.ts";
export { roughDuration, routeMatched } from "./requests.ts";
export { collapsePath } from "./routes.ts";
export { type AutoHandle, running, start } from "./start.ts";

start({ via: process.env.PERISCOPE_AUTO_VIA ?? "import" });
