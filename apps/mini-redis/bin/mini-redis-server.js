#!/usr/bin/env node
// The `mini-redis-server` command. "#main-server" is the compiled entry in dist/ (the TypeScript source inside
// this repository, through its "periscope-source" condition). Node's compile cache is on, so
// later starts reuse compiled code (faster, and less resident memory).
import module from "node:module";

module.enableCompileCache?.();
await import("#main-server");
