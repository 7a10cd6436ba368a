import { builder, ManualClock } from "@periscope/console-subscriber";
import { callsite, Level } from "@periscope/tracing";
import { registry } from "@periscope/tracing-subscriber";

const SPAWN = callsite({
  kind: "span",
  level: Level.TRACE,
  target: "tokio::task",
  name: "runtime.spawn",
  fields: ["kind", "task.name", "task.id", "loc.file", "loc.line", "loc.col"],
});
const clock = new ManualClock();
const c = builder()
  .with({ serve: false, timer: false, eventLoopMetrics: false, clock, retentionMs: 3600_000 })
  .spawn();
registry().with(c.layer, c.filter).init();
for (let i = 0; i < 500_000; i++) {
  const s = SPAWN.span(
    {
      kind: "task",
      "task.name": "",
      "task.id": BigInt(i),
      "loc.file": "/app/x.ts",
      "loc.line": 3,
      "loc.col": 4,
    },
    null,
  );
  s.inScope(() => clock.advance(0.01));
  s.close();
}
c.tick();
const t0 = performance.now();
let bytes = 0,
  parts = 0;
c.onUpdate((p) => {
  parts += p.length;
  for (const b of p) bytes += b.length;
});
console.log(
  "snapshot ms",
  (performance.now() - t0).toFixed(0),
  "parts",
  parts,
  "MB",
  (bytes / 2 ** 20).toFixed(1),
  c.stats().tasks,
);
