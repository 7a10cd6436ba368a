// When the server turns the console on: the flag, PERISCOPE_CONSOLE, or any PERISCOPE_CONSOLE_*.
import assert from "node:assert/strict";
import { test } from "node:test";
import { consoleWanted } from "../src/console-env.ts";

test("--console, PERISCOPE_CONSOLE and PERISCOPE_CONSOLE_* turn the console on; 0 keeps it off", () => {
  assert.equal(consoleWanted(false, {}), false);
  assert.equal(consoleWanted(true, {}), true);
  assert.equal(consoleWanted(false, { PERISCOPE_CONSOLE: "1" }), true);
  assert.equal(consoleWanted(false, { PERISCOPE_CONSOLE: "0" }), false);
  assert.equal(consoleWanted(false, { PERISCOPE_CONSOLE: "false" }), false);
  assert.equal(consoleWanted(false, { PERISCOPE_CONSOLE_BIND: "127.0.0.1:7000" }), true);
  assert.equal(consoleWanted(false, { PERISCOPE_CONSOLE_RETENTION: "" }), false);
  assert.equal(
    consoleWanted(false, { PERISCOPE_CONSOLE: "0", PERISCOPE_CONSOLE_BIND: "127.0.0.1:7000" }),
    false,
  );
  assert.equal(consoleWanted(true, { PERISCOPE_CONSOLE: "0" }), true);
  // Other PERISCOPE_* variables are not about the console.
  assert.equal(consoleWanted(false, { PERISCOPE_LOG: "debug", PERISCOPE_CONSOLEX: "1" }), false);
});
