// Wire-level checks: tag bytes of key fields, a gRPC round trip, time helpers, recording framing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Server, ServerCredentials, status } from "@grpc/grpc-js";
import {
  createInstrumentClient,
  decodeRecording,
  durationFromNs,
  durationToNs,
  encodeRecordingFrame,
  grpcTarget,
  type InstrumentServer,
  InstrumentService,
  RecordingDecoder,
  recordingHeader,
  TaskDetails,
  TaskStats,
  TaskUpdate,
  Temporality,
  timestampFromMs,
  timestampToMs,
  Update,
} from "../src/index.ts";

test("field numbers and types encode as upstream", () => {
  // TaskUpdate.dropped_events = 4 (varint): tag 0x20.
  assert.deepEqual(
    [...TaskUpdate.encode({ newTasks: [], statsUpdate: new Map(), droppedEvents: 7n }).finish()],
    [0x20, 7],
  );
  // TaskDetails.legacy_histogram = 3 (bytes): tag 0x1a.
  const td = TaskDetails.encode({
    taskId: undefined,
    now: undefined,
    legacyHistogram: Buffer.from([1, 2]),
    histogram: undefined,
    scheduledTimesHistogram: undefined,
  }).finish();
  assert.deepEqual([...td], [0x1a, 2, 1, 2]);
  // Map keys are uint64 and survive as bigint.
  const stats = TaskStats.fromPartial({ wakes: 3n });
  const u = Update.fromPartial({});
  u.taskUpdate = {
    newTasks: [],
    statsUpdate: new Map([[2n ** 63n + 5n, stats]]),
    droppedEvents: 0n,
  };
  const back = Update.decode(Update.encode(u).finish());
  assert.equal(back.taskUpdate?.statsUpdate.get(2n ** 63n + 5n)?.wakes, 3n);
});

test("time helpers round trip", () => {
  const t = timestampFromMs(1_700_000_000_123.456);
  assert.equal(t.seconds, 1_700_000_000n);
  // A float of epoch ms carries about 0.2 µs of precision at this magnitude.
  assert.ok(Math.abs(t.nanos - 123_456_000) < 1000, String(t.nanos));
  assert.ok(Math.abs(timestampToMs(t) - 1_700_000_000_123.456) < 1e-3);
  assert.equal(durationToNs(durationFromNs(12_345_678_901n)), 12_345_678_901n);
  assert.deepEqual(durationFromNs(1_500_000_000n), { seconds: 1n, nanos: 500_000_000 });
});

test("grpcTarget accepts tokio-console style addresses and rejects junk", () => {
  assert.equal(grpcTarget("http://127.0.0.1:6669"), "127.0.0.1:6669");
  assert.equal(grpcTarget("[::1]:6669"), "[::1]:6669");
  assert.throws(() => grpcTarget("http://127.0.0.1"), /PERISCOPE_CONSOLE_ADDRESS/);
  assert.throws(() => grpcTarget("https://x:1"), /TLS/);
});

test("client and service definition talk to each other", async () => {
  const server = new Server();
  const impl: InstrumentServer = {
    watchUpdates(call) {
      call.write(
        Update.fromPartial({ now: timestampFromMs(1000), taskUpdate: { droppedEvents: 1n } }),
      );
      call.write(Update.fromPartial({ now: timestampFromMs(2000) }));
      call.end();
    },
    watchTaskDetails(call) {
      call.emit("error", { code: status.NOT_FOUND, details: "no such task" });
    },
    watchState(call) {
      call.write({ temporality: Temporality.PAUSED });
      call.end();
    },
    pause(_call, cb) {
      cb(null, {});
    },
    resume(_call, cb) {
      cb(null, {});
    },
  };
  server.addService(InstrumentService, impl);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  const client = createInstrumentClient(`http://127.0.0.1:${port}`);
  try {
    const got: Update[] = [];
    await new Promise<void>((res, rej) => {
      const s = client.watchUpdates({});
      s.on("data", (u: Update) => got.push(u));
      s.on("end", res);
      s.on("error", rej);
    });
    assert.equal(got.length, 2);
    assert.equal(got[0]?.taskUpdate?.droppedEvents, 1n);
    assert.equal(got[1]?.now?.seconds, 2n);
    const err = await new Promise<{ code: number }>((res) => {
      const s = client.watchTaskDetails({ id: { id: 9n } });
      s.on("data", () => {});
      s.on("error", res);
    });
    assert.equal(err.code, status.NOT_FOUND);
    await new Promise<void>((res, rej) => client.pause({}, (e) => (e ? rej(e) : res())));
  } finally {
    client.close();
    server.forceShutdown();
  }
});

test("recording frames decode incrementally and damage keeps what came before", () => {
  const u1 = Update.fromPartial({ now: timestampFromMs(1) });
  const u2 = Update.fromPartial({ now: timestampFromMs(2), taskUpdate: { droppedEvents: 2n } });
  const bytes = Buffer.concat([
    recordingHeader(),
    encodeRecordingFrame(u1),
    encodeRecordingFrame(u2),
  ]);
  const whole = decodeRecording(bytes);
  assert.equal(whole.updates.length, 2);
  assert.equal(whole.error, undefined);
  // Byte by byte, as a tail of a file being written would arrive.
  const d = new RecordingDecoder();
  const seen: Update[] = [];
  for (const b of bytes) seen.push(...d.push(Uint8Array.of(b)));
  assert.deepEqual(seen, whole.updates);
  // A truncated tail is reported, not thrown.
  const cut = decodeRecording(bytes.subarray(0, bytes.length - 2));
  assert.equal(cut.updates.length, 1);
  assert.ok(cut.truncatedBytes > 0);
  // Garbage after good frames: the good frames survive, the error has a code.
  const bad = decodeRecording(Buffer.concat([bytes, Buffer.from([0x03, 0xff, 0xff, 0xff])]));
  assert.equal(bad.updates.length, 2);
  assert.equal(bad.error?.code, "PERISCOPE_RECORDING_CORRUPT");
  assert.equal(
    decodeRecording(Buffer.from("hello world, not a recording")).error?.code,
    "PERISCOPE_RECORDING_FORMAT",
  );
});
