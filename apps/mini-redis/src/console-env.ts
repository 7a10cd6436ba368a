// Whether the server's console is wanted, from the flag and the PERISCOPE_CONSOLE* variables.
// Apart from console.ts so the server can decide without loading the console's gRPC stack.

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether the console is wanted: `--console`, or PERISCOPE_CONSOLE set to anything but
 * "0"/"false", or any other PERISCOPE_CONSOLE_* variable set (configuring the console is asking
 * for it). PERISCOPE_CONSOLE=0 turns it off whatever else is set, except the flag.
 */
export function consoleWanted(flag: boolean, env: Env = process.env): boolean {
  if (flag) return true;
  const main = env.PERISCOPE_CONSOLE?.trim().toLowerCase();
  if (main !== undefined && main !== "") return main !== "0" && main !== "false";
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith("PERISCOPE_CONSOLE_") && value !== undefined && value !== "") return true;
  }
  return false;
}
