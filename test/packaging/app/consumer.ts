// A TypeScript consumer of the installed packages, type-checked with tsc (module nodenext,
// strict, no skipLibCheck) by test/packaging/installed.test.ts: every public entry resolves to its .d.ts.
import { createInstrumentClient, type Update } from "@periscope/console-api";
import { builder, type ConsoleSubscriber } from "@periscope/console-subscriber";
import { Mutex, type MutexGuard, sleep, spawn } from "@periscope/runtime";
import { startViewer } from "@periscope/trace-viewer";
import { instrument, Level, logger, type Span } from "@periscope/tracing";
import { initOpenTelemetry, type OpenTelemetry } from "@periscope/tracing-opentelemetry";
import { EnvFilter, init } from "@periscope/tracing-subscriber";

const consoleLayer: ConsoleSubscriber = builder().withDefaultEnv().spawn();
const otel: OpenTelemetry = initOpenTelemetry({ serviceName: "typed" });
init({ layers: [[consoleLayer.layer, consoleLayer.filter], otel.layer] });

const log = logger("typed::app");
const span: Span = log.span(Level.DEBUG, "work", { n: 1 });
const lock = new Mutex<number>(0);
const add = instrument(async (n: number): Promise<number> => {
  const guard: MutexGuard<number> = await lock.lock();
  guard.value += n;
  const v = guard.value;
  guard.release();
  return v;
});
const total: PromiseLike<number> = spawn(() => add(2), { name: "adder" });
void sleep(1).then(() => span.close());
void total.then((v) => log.info("added", { v }));
const onUpdate = (u: Update): number => u.taskUpdate?.newTasks.length ?? 0;
const client = createInstrumentClient("http://127.0.0.1:6669");
client.close();
const filter = new EnvFilter("info,typed=debug");
void startViewer({ inMemory: true, ui: "127.0.0.1:0", otlpHttp: false, otlpGrpc: false }).then(
  (v) => v.close(),
);

export { filter, onUpdate };
