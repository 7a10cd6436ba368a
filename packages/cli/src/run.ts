// `periscope run [--bind ADDR] -- COMMAND...`: runs COMMAND with @periscope/auto preloaded into
// every Node process it starts (through NODE_OPTIONS), passing signals and the exit status on.
import { spawn } from "node:child_process";
import os from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";

export const RUN_USAGE = `usage: periscope run [--bind ADDR] -- COMMAND [ARGS...]

Runs COMMAND (e.g. node app.js, npm start) with --import @periscope/auto added to NODE_OPTIONS,
so every Node process it starts serves the console. --bind sets PERISCOPE_CONSOLE_BIND.`;

/** NODE_OPTIONS with the auto entry added (quoted: the path may hold spaces). */
export function nodeOptionsWithAuto(existing: string | undefined, entryUrl: string): string {
  const flag = `--import=${JSON.stringify(entryUrl)}`;
  return existing === undefined || existing.trim() === "" ? flag : `${existing} ${flag}`;
}

export async function runCli(argv: string[]): Promise<number> {
  const sep = argv.indexOf("--");
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const command = sep < 0 ? [] : argv.slice(sep + 1);
  if (own.includes("-h") || own.includes("--help")) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  const env = { ...process.env };
  for (let i = 0; i < own.length; i++) {
    const a = own[i] as string;
    if (a === "--bind" && own[i + 1] !== undefined) env.PERISCOPE_CONSOLE_BIND = own[++i];
    else if (a.startsWith("--bind=")) env.PERISCOPE_CONSOLE_BIND = a.slice(7);
    else {
      process.stderr.write(
        `periscope run: unexpected ${JSON.stringify(a)} (PERISCOPE_RUN_USAGE)\n${RUN_USAGE}\n`,
      );
      return 2;
    }
  }
  if (command.length === 0) {
    process.stderr.write(
      `periscope run: no command after -- (PERISCOPE_RUN_USAGE)\n${RUN_USAGE}\n`,
    );
    return 2;
  }
  const entry = pathToFileURL(fileURLToPath(import.meta.resolve("@periscope/auto"))).href;
  env.NODE_OPTIONS = nodeOptionsWithAuto(env.NODE_OPTIONS, entry);
  const child = spawn(command[0] as string, command.slice(1), { env, stdio: "inherit" });
  const forward = (s: NodeJS.Signals) => () => child.kill(s);
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => {
    const h = forward(s);
    process.on(s, h);
    return [s, h] as const;
  });
  return await new Promise<number>((resolve) => {
    child.on("error", (e) => {
      process.stderr.write(
        `periscope run: cannot start ${command[0]}: ${e.message} (PERISCOPE_RUN_SPAWN)\n`,
      );
      resolve(127);
    });
    child.on("exit", (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code ?? (signal === null ? 1 : 128 + (signalNumber(signal) ?? 0)));
    });
  });
}

function signalNumber(s: NodeJS.Signals): number | undefined {
  return (os.constants.signals as Record<string, number>)[s];
}
