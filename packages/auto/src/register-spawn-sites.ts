// `node --import @periscope/auto/spawn-sites app.js`: only the spawn-location transform, for a
// program that sets up its console itself (the full `--import @periscope/auto` includes it).
import { registerSpawnSites } from "./spawn-hooks.ts";

registerSpawnSites();
