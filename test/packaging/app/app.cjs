// The same app as app.mjs, loaded with require(): the packages are ESM, and Node >= 22.12 lets
// CommonJS require() them because their entries have no top-level await.
const { builder } = require("@periscope/console-subscriber");
const { Mutex, sleep, spawn } = require("@periscope/runtime");
const { Level, logger } = require("@periscope/tracing");
const { initOpenTelemetry } = require("@periscope/tracing-opentelemetry");
const { init } = require("@periscope/tracing-subscriber");

async function main() {
  const consoleLayer = builder().withDefaultEnv().spawn();
  const otel = initOpenTelemetry({ serviceName: "shop-cjs" });
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
}
main();
