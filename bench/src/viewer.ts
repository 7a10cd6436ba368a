// `npm run bench -- viewer`: the embedded trace viewer against its goals. A loader in this
// process sends OTLP/HTTP protobuf batches to a viewer running in a child process (file-backed
// store, as users run it), then times Jaeger API searches with 1,000,000 spans stored, then
// (when Chromium and the built UI are there) how fast a 10,000-span trace page is interactive.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { BenchResult, BenchRow } from "./harness.ts";
import { bigTracePageRows } from "./viewer-big.ts";

const SPANS_PER_TRACE = 10;
const TRACES_PER_BATCH = 100;
const OPS = ["GET", "SET", "PUBLISH", "SUBSCRIBE", "DEL", "INCR", "EXPIRE"];

// A tiny hand-written protobuf writer, so the loader costs little CPU next to the viewer: the
// batch is encoded once and only its trace ids are patched per request.
export class Pb {
  parts: Buffer[] = [];
  len = 0;
  push(b: Buffer) {
    this.parts.push(b);
    this.len += b.length;
  }
  varint(n: number) {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    out.push(n);
    this.push(Buffer.from(out));
  }
  tag(field: number, wire: number) {
    this.varint(field * 8 + wire);
  }
  bytes(field: number, b: Buffer) {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }
  str(field: number, s: string) {
    this.bytes(field, Buffer.from(s));
  }
  msg(field: number, inner: Pb) {
    this.bytes(field, inner.done());
  }
  fixed64(field: number, v: bigint) {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    this.push(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts, this.len);
  }
}

export function kvString(key: string, value: string): Pb {
  const v = new Pb();
  v.str(1, value);
  const kv = new Pb();
  kv.str(1, key);
  kv.msg(2, v);
  return kv;
}

export function kvInt(key: string, value: number): Pb {
  const v = new Pb();
  v.tag(3, 0);
  v.varint(value);
  const kv = new Pb();
  kv.str(1, key);
  kv.msg(2, v);
  return kv;
}

/** One ExportTraceServiceRequest of TRACES_PER_BATCH traces and the offsets of its trace ids. */
/** High half of every template timestamp, so the loader can find and rebase them. */
const TIME_MARK = 0x5a5a5a5a;
/** Spans of one batch start within this window (ns) after the batch's base time. */
const BATCH_WINDOW_NS = 3e9;

function template(service: string): { body: Buffer; traceIds: Buffer[] } {
  const traceIds: Buffer[] = [];
  const scope = new Pb();
  const sc = new Pb();
  sc.str(1, "periscope-bench");
  scope.msg(1, sc);
  for (let t = 0; t < TRACES_PER_BATCH; t++) {
    const traceId = randomBytes(16);
    traceIds.push(traceId);
    // Relative times; the loader rebases them per batch, so the stream moves forward in time
    // as a live application's exports do (spans arrive roughly in the order they end).
    const traceStart =
      (BigInt(TIME_MARK) << 32n) + BigInt(Math.floor(Math.random() * BATCH_WINDOW_NS));
    let rootId: Buffer | null = null;
    for (let i = 0; i < SPANS_PER_TRACE; i++) {
      const spanId = randomBytes(8);
      const s = new Pb();
      s.bytes(1, traceId);
      s.bytes(2, spanId);
      if (rootId) s.bytes(4, rootId);
      const op = i === 0 ? "handle_connection" : OPS[(t + i) % OPS.length]!;
      s.str(5, op);
      s.tag(6, 0);
      s.varint(i === 0 ? 2 : 1);
      const start = traceStart + BigInt(i * 20_000);
      s.fixed64(7, start);
      s.fixed64(
        8,
        start + BigInt(i === 0 ? 150_000_000 : 1_000_000 + ((t * 7 + i) % 100) * 1_000_000),
      );
      s.msg(9, kvString("db.system", "redis"));
      s.msg(9, kvString("db.operation", op));
      s.msg(9, kvString("db.key", `key:${(t * 31 + i) % 1000}`));
      s.msg(9, kvInt("net.peer.port", 6379));
      s.msg(9, kvString("client.id", `c${t % 50}`));
      scope.msg(2, s);
      rootId ??= spanId;
    }
  }
  const res = new Pb();
  res.msg(1, kvString("service.name", service));
  const rs = new Pb();
  rs.msg(1, res);
  rs.msg(2, scope);
  const req = new Pb();
  req.msg(1, rs);
  return { body: req.done(), traceIds };
}

/** Offsets of the start/end fixed64 values (field 7 and 8 tags, then the marked high half). */
function timeOffsets(body: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 9 <= body.length; i++) {
    if ((body[i] === 0x39 || body[i] === 0x41) && body.readUInt32LE(i + 5) === TIME_MARK) {
      out.push(i + 1);
      i += 8;
    }
  }
  return out;
}

function offsets(body: Buffer, ids: Buffer[]): number[] {
  const out: number[] = [];
  for (const id of ids) {
    for (let at = body.indexOf(id); at >= 0; at = body.indexOf(id, at + 1)) out.push(at);
  }
  return out;
}

export function post(agent: http.Agent, port: number, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent,
        headers: { "content-type": "application/x-protobuf", "content-length": body.length },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function startChild(
  dataDir: string,
): Promise<{ child: ChildProcess; ui: string; otlp: string }> {
  const script = `import { startViewer } from "@periscope/trace-viewer";
const v = await startViewer({ ui: "127.0.0.1:0", otlpHttp: "127.0.0.1:0", otlpGrpc: false, dataDir: process.argv[1], maxBytes: 0, retentionMs: 0 });
console.log(JSON.stringify({ ui: v.uiUrl, otlp: v.otlpHttpUrl }));
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
  return { child, ...(JSON.parse(line) as { ui: string; otlp: string }) };
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

export async function run(args: string[]): Promise<BenchResult> {
  const total = Number(args[0] ?? 1_000_000);
  const dataDir = mkdtempSync(join(tmpdir(), "periscope-viewer-bench-"));
  const { child, ui, otlp } = await startChild(dataDir);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const loadBefore = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
  try {
    const port = Number(new URL(otlp).port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const startNs = (Date.now() - 3600e3) * 1e6;
    const templates = Array.from({ length: 8 }, (_, i) => {
      const t = template(i < 6 ? "mini-redis" : `other-${i}`);
      const times = timeOffsets(t.body);
      if (times.length !== 2 * TRACES_PER_BATCH * SPANS_PER_TRACE)
        throw new Error("template times not found");
      return { body: t.body, at: offsets(t.body, t.traceIds), times };
    });
    const batches = Math.ceil(total / (SPANS_PER_TRACE * TRACES_PER_BATCH));
    let next = 0;
    let failed = 0;
    const cpu0 = cpuSeconds(child.pid);
    const t0 = performance.now();
    const worker = async () => {
      for (;;) {
        const n = next++;
        if (n >= batches) return;
        const tpl = templates[n % templates.length]!;
        const body = Buffer.from(tpl.body);
        // Unique trace ids per batch: overwrite the first four bytes of each id with the batch number.
        for (const at of tpl.at) body.writeUInt32BE(n, at);
        // Batch n covers the last hour's slice n, so 1,000,000 spans span the last hour.
        const base = startNs + (Number(n) * 3600e9) / batches;
        const baseHigh = Math.floor(base / 2 ** 32);
        const baseLow = base - baseHigh * 2 ** 32;
        for (const at of tpl.times) {
          const sum = baseLow + body.readUInt32LE(at);
          body.writeUInt32LE(sum % 2 ** 32, at);
          body.writeUInt32LE(baseHigh + Math.floor(sum / 2 ** 32), at + 4);
        }
        if ((await post(agent, port, "/v1/traces", body)) !== 200) failed++;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid) - cpu0;
    const spans = batches * SPANS_PER_TRACE * TRACES_PER_BATCH;
    const rate = spans / secs;
    rows.push({
      what: "OTLP/HTTP protobuf ingest, sustained (file store, 1,000-span batches, 4 in flight)",
      peer: "goal",
      ours: Math.round(rate),
      theirs: 50_000,
      unit: "spans/s",
      ratio: rate / 50_000,
      goal: ">= 50,000 spans/s",
      met: rate >= 50_000 && failed === 0,
    });
    notes.push(
      `ingest: ${spans} spans in ${secs.toFixed(1)} s, ${failed} failed requests; viewer in a child process, loader in the bench process; load average before: ${loadBefore}`,
    );
    if (cpu > 0) {
      notes.push(
        `viewer CPU (user+system) during ingest: ${((cpu * 1e6) / spans).toFixed(1)} µs per span, i.e. ${Math.round(spans / cpu).toLocaleString("en")} spans per CPU-second (independent of other load on the machine)`,
      );
    }

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

    // A 10,000-span trace for the page row.
    const big = Buffer.from(bigTrace(10_000));
    const bigId = big
      .subarray(big.indexOf(BIG_ID_MARK), big.indexOf(BIG_ID_MARK) + 16)
      .toString("hex");
    await post(agent, port, "/v1/traces", big);
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
      rows.push(...(await bigTracePageRows(agent, port, ui, notes)));
    } catch (e) {
      notes.push(`205,000-span trace page: not measured (${(e as Error).message.split("\n")[0]})`);
    }
    agent.destroy();
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { name: "viewer", title: "Trace viewer (periscope viewer)", rows, notes };
}

const BIG_ID_MARK = Buffer.from([0x7a, 0x11, 0xce, 0x55]);

function bigTrace(n: number): Buffer {
  const traceId = Buffer.concat([BIG_ID_MARK, randomBytes(12)]);
  const now = BigInt(Date.now()) * 1_000_000n;
  const scope = new Pb();
  const ids: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomBytes(8);
    ids.push(id);
    const s = new Pb();
    s.bytes(1, traceId);
    s.bytes(2, id);
    // A bushy tree: each span's parent is an earlier span, up to ~8 levels deep.
    if (i > 0) s.bytes(4, ids[Math.floor((i - 1) / 4)]!);
    s.str(5, i === 0 ? "big request" : OPS[i % OPS.length]!);
    s.fixed64(7, now + BigInt(i) * 1000n);
    s.fixed64(8, now + BigInt(i) * 1000n + 500_000n);
    s.msg(9, kvString("db.key", `key:${i}`));
    scope.msg(2, s);
  }
  const res = new Pb();
  res.msg(1, kvString("service.name", "big-trace"));
  const rs = new Pb();
  rs.msg(1, res);
  rs.msg(2, scope);
  const req = new Pb();
  req.msg(1, rs);
  return req.done();
}
