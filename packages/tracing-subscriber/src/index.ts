// @periscope/tracing-subscriber: the Registry, layer composition, EnvFilter and the fmt layer.
export type { Context, Filter, Layer, SpanRef } from "./layer.ts";
export { Registry, registry } from "./registry.ts";
