// `periscope <command>`: dispatches to the console, the trace viewer or a recording replay.
// Each command lives in its own package; this one only routes, so no library depends on it.

const USAGE = `usage: periscope <command> [options]

commands:
  console [ADDR]      the live terminal console (default http://127.0.0.1:6669)
  console --pid PID   attach to the Node process PID, then open the console on it
  attach PID          install the console into a running Node process; prints its address
  run -- CMD...       run CMD with --import @periscope/auto in NODE_OPTIONS
  replay FILE         replay a console recording (same as: console --replay FILE)
  viewer              the embedded trace viewer (OTLP, Jaeger and Zipkin in; Jaeger API and web UI out)

Run "periscope <command> --help" for the options of each.`;

const [command, ...rest] = process.argv.slice(2);

switch (command) {
  case "console": {
    const { consoleArgsForPid } = await import("./attach-cli.ts");
    const args = rest.some((a) => a === "--pid" || a.startsWith("--pid="))
      ? await consoleArgsForPid(rest)
      : rest;
    if (typeof args === "number") process.exitCode = args;
    else {
      const { runConsoleCli } = await import("@periscope/console");
      process.exitCode = await runConsoleCli(args);
    }
    break;
  }
  case "attach": {
    const { runAttachCli } = await import("./attach-cli.ts");
    process.exitCode = await runAttachCli(rest);
    break;
  }
  case "run": {
    const { runCli } = await import("./run.ts");
    process.exitCode = await runCli(rest);
    break;
  }
  case "replay": {
    const { runConsoleCli } = await import("@periscope/console");
    process.exitCode = await runConsoleCli(["--replay", ...rest]);
    break;
  }
  case "viewer": {
    const { runViewerCli } = await import("@periscope/trace-viewer");
    process.exitCode = await runViewerCli(rest);
    break;
  }
  case undefined:
  case "-h":
  case "--help":
  case "help":
    console.log(USAGE);
    break;
  default:
    console.error(`periscope: unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
}
