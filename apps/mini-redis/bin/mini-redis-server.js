#!/usr/bin/env node
// The `mini-redis-server` command. Runs the TypeScript entry directly (Node >= 22.18 strips types).
import "../src/main-server.ts";
