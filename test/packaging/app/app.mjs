// A user's app, written as the README's "Add Periscope to your app" shows it, run from the
// packed tarballs in a fresh folder (test/packaging/installed.test.ts): tracing to stdout, the console on
// PERISCOPE_CONSOLE_BIND, OTLP to OTEL_EXPORTER_OTLP_ENDPOINT, work through @periscope/runtime.
import { builder } from "@periscope/console-subscriber";
import { Mutex, sleep, spawn } from "@periscope/runtime";
import { Level, logger } from "@periscope/tracing";
import { initOpenTelemetry } from "@periscope/tracing-opentelemetry";
import { init } from "@periscope/tracing-subscriber";

const consoleLayer = builder().withDefaultEnv().spawn();
const otel = initOpenTelemetry({ serviceName: "shop" });
init({ layers: [[consoleLayer.layer, consoleLayer.filter], otel.layer] });

const log = logger("shop::checkout");
const stock = new Mutex(3);
const orders = [1, 2, 3].map((id) =>
  spawn(
    async () => {
      const order = log.span(Level.INFO, "order", { id });
      await order.inScope(async () => {
        const guard = await stock.lock();
        await sleep(5);
        guard.value -= 1;
        const left = guard.value;
        guard.release();
        log.info("order placed", { left });
      });
      order.close();
    },
    { name: `order-${id}` },
  ),
);
await Promise.all(orders);
spawn(
  async () => {
    for (;;) await sleep(50);
  },
  { name: "ticker" },
);
log.warn("all orders placed", { console_port: await consoleLayer.ready });
