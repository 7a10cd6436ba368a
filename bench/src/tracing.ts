// `npm run bench -- tracing`: the tracing core against its peers in the same run: a disabled
// event against pino's, JSON events into a null sink against pino, spans against the OTel SDK.
import { AsyncLocalStorage } from "node:async_hooks";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { callsite, Level, logger, setGlobalDefault } from "@periscope/tracing";
import { envFilter, fmtLayer, registry } from "@periscope/tracing-subscriber";
import pino from "pino";
import { alternate, type BenchResult, nsPerOp } from "./harness.ts";

export async function run(args: string[]): Promise<BenchResult> {
  const quick = args.includes("--quick");
  const N = quick ? 200_000 : 2_000_000;
  const rounds = quick ? 3 : 7;
  let sink = 0;
  const nullSink = (chunk: string): void => {
    sink += chunk.length;
  };

  // Ours: fmt (JSON) filtered at info, the way init() composes it; pino at info into the same sink.
  const reg = registry().with(fmtLayer({ format: "json", writer: nullSink }), envFilter("info"));
  const prev = setGlobalDefault(reg);
  const log = logger("bench::tracing");
  const p = pino({ level: "info" }, { write: nullSink });

  const [ourDisabled, pinoDisabled] = alternate(
    () => nsPerOp(() => log.debug("disabled", { a: 1 }), N * 5),
    () => nsPerOp(() => p.debug({ a: 1 }, "disabled"), N * 5),
    rounds,
  );

  const [ourEvent, pinoEvent] = alternate(
    () => nsPerOp(() => log.info("hello world", { a: 1, b: "two", c: true }), N / 4),
    () => nsPerOp(() => p.info({ a: 1, b: "two", c: true }, "hello world"), N / 4),
    rounds,
  );

  // Spans: the registry with a layer that observes span lifecycles (so spans are enabled);
  // OTel: a TracerProvider with no processor, the cheapest real SDK span.
  const observer = registry().with({ onNewSpan() {}, onClose() {} });
  setGlobalDefault(observer);
  const SPAN = callsite({
    kind: "span",
    level: Level.INFO,
    target: "bench",
    name: "work",
    fields: ["a"],
  });
  const noop = (): number => 1;
  const tracer = new TracerProvider().getTracer("bench");
  const [ourSpan, otelSpan] = alternate(
    () =>
      nsPerOp(() => {
        const s = SPAN.span({ a: 1 });
        s.inScope(noop);
        s.close();
      }, N / 4),
    () => nsPerOp(() => tracer.startSpan("work", { attributes: { a: 1 } }).end(), N / 4),
    rounds,
  );
  // What entering costs by itself: a live span's inScope around a no-op function.
  const live = SPAN.span({ a: 1 });
  const inScopeNs = nsPerOp(() => live.inScope(noop), N);
  live.close();
  setGlobalDefault(prev);

  // What the context mechanism costs: AsyncLocalStorage.run and getStore on this Node.
  const als = new AsyncLocalStorage<object>();
  const store = {};
  const direct = nsPerOp(() => noop(), N);
  const alsRun = nsPerOp(() => als.run(store, noop), N);
  const alsGet = als.run(store, () => nsPerOp(() => als.getStore(), N));

  if (sink < 0) console.log(sink);
  return {
    name: "tracing",
    title: "Tracing core",
    rows: [
      {
        what: "disabled event (debug under an info filter)",
        peer: "pino debug at level info",
        ours: ourDisabled,
        theirs: pinoDisabled,
        unit: "ns/op",
        ratio: ourDisabled / pinoDisabled,
        goal: "<= 1.0x its cost",
        met: ourDisabled <= pinoDisabled,
      },
      {
        what: "enabled event, JSON, null sink",
        peer: "pino info into the same sink",
        ours: 1e9 / ourEvent,
        theirs: 1e9 / pinoEvent,
        unit: "events/s",
        ratio: pinoEvent / ourEvent,
        goal: ">= 1.0x its throughput",
        met: pinoEvent / ourEvent >= 1,
      },
      {
        what: "span create + enter + exit + close, registry",
        peer: "@opentelemetry/sdk-trace startSpan + end",
        ours: ourSpan,
        theirs: otelSpan,
        unit: "ns/op",
        ratio: ourSpan / otelSpan,
        goal: "<= 0.33x its cost",
        met: ourSpan / otelSpan <= 0.33,
      },
    ],
    notes: [
      `Node ${process.version}; median of ${rounds} alternating rounds.`,
      "Our JSON line carries an RFC 3339 µs timestamp, level, fields and target; pino's carries level, time, pid, hostname, msg and fields.",
      `AsyncLocalStorage (the current-span mechanism): run(store, fn) ${alsRun.toFixed(0)} ns vs a direct call ${direct.toFixed(1)} ns; getStore() ${alsGet.toFixed(1)} ns; span.inScope(fn) on a live span ${inScopeNs.toFixed(0)} ns.`,
    ],
  };
}
