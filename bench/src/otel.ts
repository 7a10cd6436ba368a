// `npm run bench -- otel`: spans per second through our OpenTelemetry layer against the same
// spans made directly with the OpenTelemetry SDK, same batch processor and exporter, in one run.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Level, logger, setGlobalDefault } from "@periscope/tracing";
import { initOpenTelemetry, PeriscopeContextManager } from "@periscope/tracing-opentelemetry";
import { type Registry, registry } from "@periscope/tracing-subscriber";
import { type BenchResult, median, nsPerOp } from "./harness.ts";

// The SDK our layer runs on (major 3, API 1.10). This workspace pins API 1.9 for sdk-trace-base 2
// (bench/src/tracing.ts), which npm cannot install beside it; so the peer is loaded from where
// @periscope/tracing-opentelemetry resolves it: the very same SDK and exporter versions.
const peer = createRequire(import.meta.resolve("@periscope/tracing-opentelemetry"));
const api = peer("@opentelemetry/api") as typeof import("@opentelemetry/api");
const sdk = peer("@opentelemetry/sdk-trace") as typeof import("@opentelemetry/sdk-trace");
const { AsyncLocalStorageContextManager } = peer(
  "@opentelemetry/context-async-hooks",
) as typeof import("@opentelemetry/context-async-hooks");
const { OTLPTraceExporter } = peer(
  "@opentelemetry/exporter-trace-otlp-proto",
) as typeof import("@opentelemetry/exporter-trace-otlp-proto");

type SpanExporter = import("@opentelemetry/sdk-trace").SpanExporter;
type ReadableSpan = import("@opentelemetry/sdk-trace").ReadableSpan;

const BATCH = { maxQueueSize: 4096, maxExportBatchSize: 512, scheduledDelayMillis: 5 };

/** Wraps an exporter to count delivered spans, so both sides can wait for the sink equally. */
class Counting implements SpanExporter {
  delivered = 0;
  readonly #inner: SpanExporter | undefined;
  constructor(inner?: SpanExporter) {
    this.#inner = inner;
  }
  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    if (this.#inner === undefined) {
      this.delivered += spans.length;
      done({ code: 0 });
      return;
    }
    this.#inner.export(spans, (r) => {
      this.delivered += spans.length;
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.#inner?.shutdown() ?? Promise.resolve();
  }
}

/** A loopback OTLP/HTTP sink in a child process: reads each request, answers 200, keeps nothing. */
async function startSink(): Promise<{ url: string; stop(): void }> {
  const code = `const s=require("node:http").createServer((q,r)=>{q.resume();q.on("end",()=>r.writeHead(200,{"content-type":"application/x-protobuf"}).end())});s.listen(0,"127.0.0.1",()=>console.log(s.address().port));`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await once(child.stdout, "data")) as [Buffer];
  return {
    url: `http://127.0.0.1:${line.toString().trim()}/v1/traces`,
    stop: () => child.kill(),
  };
}

/**
 * Makes `n` spans with `make`, yielding to the loop every 256 so the batch processor exports,
 * and never letting more than 2048 wait (no drops); returns spans per CPU second of this
 * process, exporter included.
 */
async function spansPerSecond(
  n: number,
  make: (i: number) => void,
  counting: Counting,
  flush: () => Promise<void>,
): Promise<number> {
  // Start from a clean heap so one side's garbage is not collected on the other side's time.
  gc();
  const base = counting.delivered;
  // CPU time of this process, not wall time: the machine may be busy with other work, and the
  // sink runs in another process either way.
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    make(i);
    if ((i & 255) === 255) {
      await yieldToLoop();
      while (i + 1 - (counting.delivered - base) > 2048) await yieldToLoop();
    }
  }
  await flush();
  while (counting.delivered - base < n) await yieldToLoop();
  // Collecting this run's garbage is part of its cost.
  gc();
  const used = process.cpuUsage(start);
  return n / ((used.user + used.system) / 1e6);
}

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Side {
  /** Our registry (ours only), for the context.active() figures. */
  reg?: Registry;
  run(n: number): Promise<number>;
  stop(): Promise<void>;
}

/** Ours: a registry with the OpenTelemetry layer, spans made with our API. */
function ours(exporter: SpanExporter, counting: Counting): Side {
  const otel = initOpenTelemetry({
    serviceName: "bench",
    exporter,
    batch: BATCH,
    env: {},
    registerGlobals: false,
    handleSignals: false,
    // Attributes the peer does not write are off: location, thread, busy/idle time.
    layer: { location: false, threads: false, trackInactivity: false },
  });
  const reg = registry().with(otel.layer);
  const log = logger("bench::otel");
  const cm = new PeriscopeContextManager();
  const make = (i: number): void => {
    const s = log.span(Level.INFO, "command", { cmd: "get", n: i, key: undefined });
    s.inScope(() => {
      s.record("key", "foo");
      log.info("hit", { size: 3 });
    });
    s.close();
  };
  return {
    reg,
    async run(n) {
      api.context.disable();
      api.context.setGlobalContextManager(cm);
      const prev = setGlobalDefault(reg);
      try {
        return await spansPerSecond(n, make, counting, () => otel.forceFlush());
      } finally {
        setGlobalDefault(prev);
      }
    },
    stop: () => otel.shutdown(),
  };
}

/** The peer: the same spans with the SDK directly (active span, attributes, event, end). */
function direct(exporter: SpanExporter, counting: Counting): Side {
  const provider = new sdk.TracerProvider({
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, ...BATCH })],
  });
  const tracer = provider.getTracer("bench");
  const cm = new AsyncLocalStorageContextManager();
  const make = (i: number): void => {
    tracer.startActiveSpan("command", { attributes: { cmd: "get", n: i } }, (span) => {
      span.setAttribute("key", "foo");
      // The level and target every event of ours carries, as tracing-opentelemetry's do.
      span.addEvent("hit", { level: "INFO", target: "bench::otel", size: 3 });
      span.end();
    });
  };
  return {
    async run(n) {
      api.context.disable();
      api.context.setGlobalContextManager(cm);
      return spansPerSecond(n, make, counting, () => provider.forceFlush());
    },
    stop: () => provider.shutdown(),
  };
}

async function alternateAsync(
  a: () => Promise<number>,
  b: () => Promise<number>,
  rounds: number,
): Promise<[number, number]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [median(as), median(bs)];
}

export async function run(args: string[]): Promise<BenchResult> {
  const quick = args.includes("--quick");
  const rounds = quick ? 3 : 7;
  const nNull = quick ? 20_000 : 100_000;
  const nOtlp = quick ? 10_000 : 50_000;

  // Row 1: a null exporter, so the figure is the cost of making and batching spans.
  const c1 = new Counting();
  const c2 = new Counting();
  const o1 = ours(c1, c1);
  const d1 = direct(c2, c2);
  await o1.run(nNull / 10);
  await d1.run(nNull / 10);
  const [oursNull, directNull] = await alternateAsync(
    () => o1.run(nNull),
    () => d1.run(nNull),
    rounds,
  );
  await o1.stop();
  await d1.stop();

  // Row 2: the OTLP/HTTP protobuf exporter into a loopback sink in another process.
  const sink = await startSink();
  const c3 = new Counting(new OTLPTraceExporter({ url: sink.url }));
  const c4 = new Counting(new OTLPTraceExporter({ url: sink.url }));
  const o2 = ours(c3, c3);
  const d2 = direct(c4, c4);
  await o2.run(nOtlp / 10);
  await d2.run(nOtlp / 10);
  const [oursOtlp, directOtlp] = await alternateAsync(
    () => o2.run(nOtlp),
    () => d2.run(nOtlp),
    rounds,
  );
  await o2.stop();
  await d2.stop();
  sink.stop();

  // What the context bridge adds to each context.active() that instrumentations call.
  const activeNs = (cm: import("@opentelemetry/api").ContextManager, inSpan: boolean): number => {
    api.context.disable();
    api.context.setGlobalContextManager(cm);
    if (!inSpan) return nsPerOp(() => api.context.active(), 1_000_000);
    const prev = setGlobalDefault(o2.reg as Registry);
    const s = logger("bench::otel").span(Level.INFO, "outer");
    const ns = s.inScope(() => nsPerOp(() => api.context.active(), 1_000_000));
    s.close();
    setGlobalDefault(prev);
    return ns;
  };
  const alsNs = activeNs(new AsyncLocalStorageContextManager(), false);
  const bridgeIdleNs = activeNs(new PeriscopeContextManager(), false);
  const bridgeInSpanNs = activeNs(new PeriscopeContextManager(), true);
  api.context.disable();

  const row = (what: string, o: number, d: number) => {
    const ratio = o / d;
    return {
      what,
      peer: "@opentelemetry/sdk-trace 3 direct",
      ours: o,
      theirs: d,
      unit: "spans/CPU-s",
      ratio,
      goal: ">= 0.9x",
      met: ratio >= 0.9,
    };
  };
  return {
    name: "otel",
    title: "OpenTelemetry export: our layer vs the SDK directly",
    rows: [
      row("span + record + event, null exporter", oursNull, directNull),
      row("span + record + event, OTLP/HTTP protobuf to loopback", oursOtlp, directOtlp),
    ],
    notes: [
      `Each span: 3 fields (one recorded later), entered, one event inside, closed; the peer makes the identical OTel span with startActiveSpan, setAttribute, addEvent (with the event's level and target, as ours), end.`,
      `Both sides: BatchSpanProcessor (queue ${BATCH.maxQueueSize}, batch ${BATCH.maxExportBatchSize}, delay ${BATCH.scheduledDelayMillis} ms), parent-based always-on sampler, every span delivered (none dropped); timings include the final flush.`,
      `Ours: registry + OpenTelemetryLayer (location, thread and busy/idle attributes off, as the peer has none; start, end and event times passed from our clock) + PeriscopeContextManager; the peer: AsyncLocalStorageContextManager.`,
      `Figures are spans per CPU second of the benchmark process (the sink is another process), each run starting and ending with a full GC so garbage is charged to the side that made it.`,
      `context.active() costs ${alsNs.toFixed(0)} ns with AsyncLocalStorageContextManager; with PeriscopeContextManager ${bridgeIdleNs.toFixed(0)} ns outside our spans and ${bridgeInSpanNs.toFixed(0)} ns inside one (cached per span).`,
      `Median of ${rounds} alternating runs of ${nNull} (null) and ${nOtlp} (OTLP) spans.`,
    ],
  };
}
