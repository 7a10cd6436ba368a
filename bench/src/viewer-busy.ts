// The viewer bench's "queries never stall" rows: with a 200,000-span trace stored next to the
// million other spans, how long fetching it takes, and — while it is fetched and searched —
// /api/services latency and ingest throughput against idle rounds run alternately.
import http from "node:http";
import type { BenchRow } from "./harness.ts";
import { median } from "./harness.ts";
import type { Loader } from "./viewer-data.ts";

/** Reads that failed (a stream cut by the viewer's query timeout, a refused connection). */
let failedReads = 0;

/**
 * Downloads a URL, discarding the body; resolves with the bytes and the milliseconds taken, or
 * status 0 if the answer was cut (counted in failedReads).
 */
function download(url: string): Promise<{ bytes: number; ms: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const failed = () => {
      failedReads++;
      resolve({ bytes: 0, ms: performance.now() - t0, status: 0 });
    };
    http
      .get(url, (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
        });
        res.on("end", () =>
          resolve({ bytes, ms: performance.now() - t0, status: res.statusCode ?? 0 }),
        );
        res.on("error", failed);
        res.on("aborted", failed);
      })
      .on("error", failed);
  });
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? Number.NaN;

export async function busyRows(
  ui: string,
  loader: Loader,
  bigId: string,
  bigSpans: number,
  others: number,
): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const traceUrl = `${ui}/api/traces/${bigId}`;
  // Correct and whole, once; then timed alone (median of 3).
  try {
    const check = (await (await fetch(traceUrl)).json()) as { data: Array<{ spans: unknown[] }> };
    if (check.data[0]?.spans.length !== bigSpans)
      throw new Error(`big trace has ${check.data[0]?.spans.length} spans, want ${bigSpans}`);
  } catch (e) {
    if (/spans, want/.test((e as Error).message)) throw e;
    failedReads++;
  }
  const alone: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const d = await download(traceUrl);
    alone.push(d.ms);
    bytes = d.bytes;
  }
  const fetchMs = median(alone);
  rows.push({
    what: `fetch a ${bigSpans.toLocaleString("en")}-span trace (/api/traces/{id}, ${(bytes / 1e6).toFixed(0)} MB of JSON) with ${others.toLocaleString("en")} other spans stored`,
    peer: "goal",
    ours: fetchMs,
    theirs: 3000,
    unit: "ms",
    ratio: fetchMs / 3000,
    goal: "<= 3 s",
    met: fetchMs <= 3000 && failedReads === 0,
  });

  const reads = async () => {
    await download(traceUrl);
    await download(`${ui}/api/traces?service=big-trace&lookback=2h&limit=20`);
    await download(`${ui}/api/traces?service=mini-redis&lookback=2h&limit=20&minDuration=100ms`);
  };
  const idleRates: number[] = [];
  const busyRates: number[] = [];
  const servicesMs: number[] = [];
  let busyFor = 4000;
  for (let round = 0; round < 3; round++) {
    // Idle: the loader alone, for as long as the last busy round took.
    let t0 = performance.now();
    let spans = await loader.send(1e9, 4, () => performance.now() - t0 > busyFor);
    idleRates.push(spans / ((performance.now() - t0) / 1000));
    // Busy: the same loader while the big trace is fetched and searched, /api/services polled.
    let done = false;
    const poll = (async () => {
      while (!done) {
        const s = performance.now();
        const r = await download(`${ui}/api/services`);
        if (r.status === 200) servicesMs.push(performance.now() - s);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    t0 = performance.now();
    const readsDone = reads().then(() => {
      done = true;
    });
    spans = await loader.send(1e9, 4, () => done);
    await readsDone;
    await poll;
    busyFor = performance.now() - t0;
    busyRates.push(spans / (busyFor / 1000));
  }
  // One request naming the huge trace 300 times (it once grew the heap to 5 GB): then the
  // largest heap any query thread used for one answer, over every read of this bench.
  const repeated = await download(
    `${ui}/api/traces?${Array.from({ length: 300 }, () => `traceID=${bigId}`).join("&")}`,
  );
  const info = (await (await fetch(`${ui}/api/periscope/info`)).json()) as {
    queryHeapPeakBytes: number;
    queryHeapLimitBytes: number;
  };
  const heapMb = info.queryHeapPeakBytes / 1024 ** 2;
  const capMb = info.queryHeapLimitBytes / 1024 ** 2;
  rows.push({
    what: `query thread heap for one answer (peak used, sampled per 256 KiB chunk, over all reads above and one request naming the ${bigSpans.toLocaleString("en")}-span trace 300 times)`,
    peer: "cap",
    ours: heapMb,
    theirs: capMb,
    unit: "MB",
    ratio: heapMb / capMb,
    goal: `<= ${capMb} MB (the thread's enforced cap)`,
    // Reads cut by the query timeout are the fetch row's failure, not this one's.
    met: heapMb <= capMb && repeated.status === 200,
  });
  const p99 = pct(servicesMs, 0.99);
  rows.push({
    what: "/api/services p99 while that trace is fetched and searched, ingest running",
    peer: "goal",
    ours: p99,
    theirs: 50,
    unit: "ms",
    ratio: p99 / 50,
    goal: "<= 50 ms",
    met: p99 <= 50,
  });
  const idle = median(idleRates);
  const busy = median(busyRates);
  rows.push({
    what: "OTLP ingest throughput while that trace is fetched and searched, vs idle rounds (alternating)",
    peer: "idle ingest",
    ours: busy,
    theirs: idle,
    unit: "spans/s",
    ratio: busy / idle,
    goal: ">= 0.8x",
    met: busy / idle >= 0.8 && loader.failed === 0,
  });
  if (failedReads > 0) {
    notes.push(
      `${failedReads} reads were cut or refused (the viewer's 30 s query timeout under this machine's load)`,
    );
  }
  notes.push(
    `big trace: fetched alone in ${alone.map((x) => x.toFixed(0)).join(", ")} ms; ${servicesMs.length} /api/services probes during reads (median ${median(servicesMs).toFixed(1)} ms, max ${Math.max(...servicesMs).toFixed(0)} ms); ingest rounds idle ${idleRates.map((x) => x.toFixed(0)).join(", ")}, busy ${busyRates.map((x) => x.toFixed(0)).join(", ")} spans/s`,
  );
  return { rows, notes };
}
