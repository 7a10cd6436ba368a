// `npm run bench -- viewer`: the embedded trace viewer against its goals. A loader in this
// process sends OTLP/HTTP protobuf batches to a viewer running in a child process (file-backed
// store, as users run it) and compares the viewer's CPU per span with only decoding them; then
// times Jaeger API searches with 1,000,000 spans stored; then stores a 200,000-span trace and
// measures fetching it and what fetching and searching it does to other requests and ingest;
// then the Zipkin and Jaeger receivers' CPU per span; then (when Chromium and the built UI are
// there) how fast a 10,000-span and a 205,000-span trace page are interactive; then what the
// ingest-time aggregates add to the store's ingest CPU (viewer-aggregates.ts).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { decodeWire } from "@periscope/trace-viewer";
import type { BenchResult, BenchRow } from "./harness.ts";
import { aggregateRows } from "./viewer-aggregates.ts";
import { bigTracePageRows } from "./viewer-big.ts";
import { busyRows } from "./viewer-busy.ts";
import {
  bigTraceRequests,
  Loader,
  post,
  SPANS_PER_TRACE,
  TRACES_PER_BATCH,
} from "./viewer-data.ts";
import { protocolRows } from "./viewer-protocols.ts";

interface ChildAddresses {
  ui: string;
  otlp: string;
  zipkin: string;
  jaegerHttp: string;
  jaegerCompact: string;
}

async function startChild(dataDir: string): Promise<{ child: ChildProcess } & ChildAddresses> {
  const script = `import { startViewer } from "@periscope/trace-viewer";
const v = await startViewer({ ui: "127.0.0.1:0", otlpHttp: "127.0.0.1:0", otlpGrpc: false, jaegerCompact: "127.0.0.1:0", jaegerBinary: false, jaegerHttp: "127.0.0.1:0", zipkin: "127.0.0.1:0", jaegerGrpc: false, dataDir: process.argv[1], maxBytes: 0, retentionMs: 0 });
console.log(JSON.stringify({ ui: v.uiUrl, otlp: v.otlpHttpUrl, zipkin: v.protocols.zipkin, jaegerHttp: v.protocols.jaegerHttp, jaegerCompact: v.protocols.jaegerCompact }));
process.once("SIGTERM", () => v.close().then(() => process.exit(0)));`;
  const child = spawn(
    process.execPath,
    [
      ...(process.env.VIEWER_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.VIEWER_PROF}`]
        : []),
      "--input-type=module",
      "-e",
      script,
      dataDir,
    ],
    {
      cwd: join(import.meta.dirname, "..", ".."),
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (c) => reject(new Error(`viewer child exited (${c})`)));
  });
  return { child, ...(JSON.parse(line) as ChildAddresses) };
}

/** CPU seconds (user + system) a Linux process has used so far; 0 where /proc is missing. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? Number.NaN;

/** Peak resident memory of a Linux process (VmHWM), in MB; NaN where /proc is missing. */
function peakRssMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export async function run(args: string[]): Promise<BenchResult> {
  const total = Number(args[0] ?? 1_000_000);
  const bigSpans = Number(args[1] ?? 200_000);
  const dataDir = mkdtempSync(join(tmpdir(), "periscope-viewer-bench-"));
  const addr = await startChild(dataDir);
  const { child, ui, otlp } = addr;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const loadBefore = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
  try {
    const port = Number(new URL(otlp).port);
    const batches = Math.ceil(total / (SPANS_PER_TRACE * TRACES_PER_BATCH));
    // Planned for the ingest phase plus the busy rounds, so every batch lands in the last hour.
    const loader = new Loader(port, (Date.now() - 3600e3) * 1e6, Math.ceil(batches * 2));
    const floorBodies = loader.bodies(100);
    const cpu0 = cpuSeconds(child.pid);
    const t0 = performance.now();
    const spans = await loader.send(batches);
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid) - cpu0;
    // The floor: this process decoding the same kind of requests with the viewer's decoder.
    for (const b of floorBodies.slice(0, 10)) decodeWire("otlp-protobuf", b);
    const f0 = process.cpuUsage();
    let floorSpans = 0;
    for (const b of floorBodies) floorSpans += decodeWire("otlp-protobuf", b).accepted;
    const f = process.cpuUsage(f0);
    const floorUs = (f.user + f.system) / floorSpans;
    const oursUs = (cpu * 1e6) / spans;
    rows.push({
      what: `OTLP/HTTP protobuf ingest of ${spans.toLocaleString("en")} spans (file store, 1,000-span batches, 4 in flight): viewer CPU per span vs decoding only`,
      peer: "decode only",
      ours: oursUs,
      theirs: floorUs,
      unit: "µs/span",
      ratio: oursUs / floorUs,
      goal: "<= 2x",
      met: oursUs / floorUs <= 2 && loader.failed === 0,
    });
    notes.push(
      `ingest: ${spans} spans in ${secs.toFixed(1)} s (${Math.round(spans / secs).toLocaleString("en")} spans/s, depends on the machine's other load), ${loader.failed} failed requests; viewer in a child process, loader in the bench process; load average before: ${loadBefore}`,
    );

    const lat: number[] = [];
    const queries = [
      "service=mini-redis&lookback=1h&limit=20",
      "service=mini-redis&operation=GET&lookback=1h&limit=20",
      `service=mini-redis&lookback=1h&limit=20&tags=${encodeURIComponent('{"client.id":"c7"}')}`,
      "service=mini-redis&lookback=1h&limit=20&minDuration=50ms",
      "service=mini-redis&lookback=2h&limit=20&maxDuration=20ms",
    ];
    for (let i = 0; i < 250; i++) {
      const q = queries[i % queries.length]!;
      const s = performance.now();
      const r = await fetch(`${ui}/api/traces?${q}`);
      const body = (await r.json()) as { data: unknown[] };
      if (i >= 25) lat.push(performance.now() - s);
      if (r.status !== 200 || body.data.length === 0)
        throw new Error(`search failed: ${q} -> ${r.status}`);
    }
    const p = p95(lat);
    rows.push({
      what: `search p95 (/api/traces, 20 traces, 5 query shapes) with ${spans.toLocaleString("en")} spans stored`,
      peer: "goal",
      ours: p,
      theirs: 50,
      unit: "ms",
      ratio: p / 50,
      goal: "<= 50 ms",
      met: p <= 50,
    });

    // The huge trace, sent as 1,000-span requests, then what reading it costs everyone else.
    const huge = bigTraceRequests(bigSpans, 1000);
    for (const b of huge.bodies) await post(loader.agent, port, "/v1/traces", b);
    const rssBefore = peakRssMb(child.pid);
    const busy = await busyRows(ui, loader, huge.id, bigSpans, spans);
    rows.push(...busy.rows);
    notes.push(...busy.notes);
    notes.push(
      `viewer process peak resident memory (VmHWM, all threads, SQLite caches included): ${rssBefore.toFixed(0)} MB before the huge trace was read, ${peakRssMb(child.pid).toFixed(0)} MB after the busy rounds (answers stream in 256 KiB chunks, at most 250,000 spans per answer)`,
    );

    const proto = await protocolRows(
      {
        zipkin: addr.zipkin,
        jaegerHttp: addr.jaegerHttp,
        jaegerCompact: addr.jaegerCompact,
        spanCount: async () =>
          ((await (await fetch(`${ui}/api/periscope/info`)).json()) as { spanCount: number })
            .spanCount,
        cpu: () => cpuSeconds(child.pid),
      },
      BigInt(Date.now() - 600e3) * 1000n,
    );
    rows.push(...proto.rows);
    notes.push(...proto.notes);

    // A 10,000-span trace for the page row.
    const page = bigTraceRequests(10_000, 10_000);
    const bigId = page.id;
    await post(loader.agent, port, "/v1/traces", page.bodies[0]!);
    try {
      const { measureTracePage } = await import("./viewer-page.ts");
      const ms = await measureTracePage(ui, bigId);
      rows.push({
        what: "10,000-span trace page in headless Chromium, interactive",
        peer: "goal",
        ours: ms,
        theirs: 1000,
        unit: "ms",
        ratio: ms / 1000,
        goal: "<= 1 s",
        met: ms <= 1000,
      });
    } catch (e) {
      notes.push(`10,000-span trace page: not measured (${(e as Error).message.split("\n")[0]})`);
    }
    try {
      rows.push(...(await bigTracePageRows(loader.agent, port, ui, notes)));
    } catch (e) {
      notes.push(`205,000-span trace page: not measured (${(e as Error).message.split("\n")[0]})`);
    }
    rows.push(...(await aggregateRows(notes)));
    loader.agent.destroy();
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { name: "viewer", title: "Trace viewer (periscope viewer)", rows, notes };
}
