// mini-redis with the console on, for the full-stack tmux test: the console layer is the global
// subscriber (console server on a free port), then mini-redis serves on another free port.
// Prints "CONSOLE=<port> REDIS=<port>" once both listen.
import { init } from "@periscope/console-subscriber";
import { startServer } from "@periscope/mini-redis";

const subscriber = init({ bind: "127.0.0.1:0", publishIntervalMs: 500 });
const consolePort = await subscriber.ready;
const server = await startServer({ port: 0, host: "127.0.0.1" });
process.stdout.write(`CONSOLE=${consolePort} REDIS=${server.port}\n`);

// The test closes stdin when it is done.
process.stdin.on("end", () => {
  server.destroy();
  process.exit(0);
});
process.stdin.resume();
