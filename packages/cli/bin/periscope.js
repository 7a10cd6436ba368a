#!/usr/bin/env node
// The `periscope` command. Runs the TypeScript entry directly (Node >= 22.18 strips types).
import "../src/main.ts";
