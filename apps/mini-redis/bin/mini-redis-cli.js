#!/usr/bin/env node
// The `mini-redis-cli` command. Runs the TypeScript entry directly (Node >= 22.18 strips types).
import "../src/main-cli.ts";
