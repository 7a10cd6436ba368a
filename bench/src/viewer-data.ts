// Request bodies for the viewer bench, written with a tiny protobuf writer so the loader costs
// little CPU next to the viewer: OTLP batches encoded once whose trace ids and times are patched
// per request, and one huge trace sent in slices.
import { randomBytes } from "node:crypto";
import http from "node:http";

export const SPANS_PER_TRACE = 10;
export const TRACES_PER_BATCH = 100;
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

function kvInt(key: string, value: number): Pb {
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

export function template(service: string): { body: Buffer; traceIds: Buffer[] } {
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
export function timeOffsets(body: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 9 <= body.length; i++) {
    if ((body[i] === 0x39 || body[i] === 0x41) && body.readUInt32LE(i + 5) === TIME_MARK) {
      out.push(i + 1);
      i += 8;
    }
  }
  return out;
}

export function offsets(body: Buffer, ids: Buffer[]): number[] {
  const out: number[] = [];
  for (const id of ids) {
    for (let at = body.indexOf(id); at >= 0; at = body.indexOf(id, at + 1)) out.push(at);
  }
  return out;
}

/** POSTs a protobuf body; retried once when a kept-alive socket was closed by the server meanwhile. */
export function post(agent: http.Agent, port: number, path: string, body: Buffer): Promise<number> {
  return postOnce(agent, port, path, body).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ECONNRESET") throw e;
    return postOnce(agent, port, path, body);
  });
}

function postOnce(agent: http.Agent, port: number, path: string, body: Buffer): Promise<number> {
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

/**
 * Sends the OTLP batches of a time-ordered stream: batch n gets unique trace ids (its number
 * written into each id) and the n-th slice of the hour before `startNs + hour`.
 */
export class Loader {
  #templates: Array<{ body: Buffer; at: number[]; times: number[] }>;
  #next = 0;
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  failed = 0;

  readonly port: number;
  readonly startNs: number;
  readonly plannedBatches: number;

  constructor(port: number, startNs: number, plannedBatches: number) {
    this.port = port;
    this.startNs = startNs;
    this.plannedBatches = plannedBatches;
    this.#templates = Array.from({ length: 8 }, (_, i) => {
      const t = template(i < 6 ? "mini-redis" : `other-${i}`);
      const times = timeOffsets(t.body);
      if (times.length !== 2 * TRACES_PER_BATCH * SPANS_PER_TRACE)
        throw new Error("template times not found");
      return { body: t.body, at: offsets(t.body, t.traceIds), times };
    });
  }

  #body(n: number): Buffer {
    const tpl = this.#templates[n % this.#templates.length]!;
    const body = Buffer.from(tpl.body);
    for (const at of tpl.at) body.writeUInt32BE(n, at);
    const base = this.startNs + (n * 3600e9) / this.plannedBatches;
    const baseHigh = Math.floor(base / 2 ** 32);
    const baseLow = base - baseHigh * 2 ** 32;
    for (const at of tpl.times) {
      const sum = baseLow + body.readUInt32LE(at);
      body.writeUInt32LE(sum % 2 ** 32, at);
      body.writeUInt32LE(baseHigh + Math.floor(sum / 2 ** 32), at + 4);
    }
    return body;
  }

  /** Sends `batches` batches (or until `stop()` is true), `inFlight` at a time; returns spans sent. */
  async send(batches: number, inFlight = 4, stop: () => boolean = () => false): Promise<number> {
    let sent = 0;
    const end = this.#next + batches;
    const worker = async () => {
      while (this.#next < end && !stop()) {
        const n = this.#next++;
        if ((await post(this.agent, this.port, "/v1/traces", this.#body(n))) !== 200) this.failed++;
        else sent += SPANS_PER_TRACE * TRACES_PER_BATCH;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return sent;
  }

  /** The bodies of the next `n` batches, without sending them (for the decode-only floor). */
  bodies(n: number): Buffer[] {
    return Array.from({ length: n }, (_, i) => this.#body(this.#next + i));
  }
}

export const BIG_ID_MARK = Buffer.from([0x7a, 0x11, 0xce, 0x55]);

/** A trace of `total` spans as OTLP requests of `perRequest` spans each, and its id. */
export function bigTraceRequests(
  total: number,
  perRequest: number,
): { id: string; bodies: Buffer[] } {
  const traceId = Buffer.concat([BIG_ID_MARK, randomBytes(12)]);
  const now = BigInt(Date.now()) * 1_000_000n;
  const ids: Buffer[] = [];
  const bodies: Buffer[] = [];
  for (let from = 0; from < total; from += perRequest) {
    const scope = new Pb();
    for (let i = from; i < Math.min(total, from + perRequest); i++) {
      const id = randomBytes(8);
      ids.push(id);
      const s = new Pb();
      s.bytes(1, traceId);
      s.bytes(2, id);
      // A bushy tree: each span's parent is an earlier span.
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
    bodies.push(req.done());
  }
  return { id: traceId.toString("hex"), bodies };
}
