// `periscope viewer` as a user runs it: prints its addresses, stores OTLP, exits 0 on SIGTERM;
// bad flags exit 2 with a message. Also the gRPC receiver's answer to a malformed message.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { getJson, hexId, jsonRequest, postJson, tempDir, testViewer } from "./helpers.ts";

const BIN = join(import.meta.dirname, "..", "..", "cli", "bin", "periscope.js");
const ENTRY = join(import.meta.dirname, "fixtures", "run-cli.ts");

function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [ENTRY, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
}

test("periscope viewer: listens, stores, and exits 0 on SIGTERM", async (t) => {
  const state = tempDir(t);
  const child = runCli(
    [
      ...["--ui", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0", "--otlp-grpc", "off"],
      ...["--jaeger-compact", "127.0.0.1:0", "--jaeger-binary", "off"],
      ...["--jaeger-http", "off", "--zipkin", "127.0.0.1:0", "--jaeger-grpc", "off"],
    ],
    {
      XDG_STATE_HOME: state,
    },
  );
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", () => out.includes("Ctrl-C") && resolve());
    child.once("exit", (c) => reject(new Error(`exited early with ${c}: ${out}`)));
  });
  const ui = /web UI \+ Jaeger API\s+(http:\/\/\S+)/.exec(out)?.[1];
  const otlp = /OTLP\/HTTP\s+(http:\/\/\S+)\/v1\/traces/.exec(out)?.[1];
  assert.ok(ui && otlp, out);
  assert.match(out, /OTLP\/gRPC\s+off/);
  assert.ok(
    out.includes(join(state, "periscope", "viewer")),
    "default data dir under XDG_STATE_HOME",
  );
  const req = jsonRequest("cli-svc", [
    { traceId: hexId(1, 16), spanId: hexId(1, 8), name: "x", startNs: 1n, durationNs: 1n },
  ]);
  assert.equal((await postJson(otlp, req)).status, 200);
  assert.deepEqual((await getJson(`${ui}/api/services`)).body.data, ["cli-svc"]);
  child.kill("SIGTERM");
  const code = await new Promise((resolve) => child.once("exit", resolve));
  assert.equal(code, 0);
});

test("periscope viewer: bad flags exit 2 with a message saying what to do", async () => {
  for (const args of [
    ["--data", "/tmp/x", "--in-memory"],
    ["--retention", "soon"],
    ["--max-size", "lots"],
    ["--bogus"],
  ]) {
    const child = runCli(args);
    let err = "";
    child.stderr!.on("data", (c) => (err += c));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(code, 2, args.join(" "));
    assert.match(err, /periscope viewer: /);
    assert.match(err, /usage: periscope viewer/);
  }
});

test("the periscope command routes `viewer --help` to this package", async () => {
  const child = spawn(process.execPath, [BIN, "viewer", "--help"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  const code = await new Promise((resolve) => child.once("exit", resolve));
  assert.equal(code, 0);
  assert.match(out, /--otlp-grpc/);
});

test("gRPC: a malformed Export message gets INVALID_ARGUMENT and stores nothing", async (t) => {
  const v = await testViewer({ otlpHttp: false });
  t.after(() => v.close());
  const client = new grpc.Client(v.otlpGrpcAddress, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const err = await new Promise<grpc.ServiceError | null>((resolve) => {
    client.makeUnaryRequest(
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
      (e) => resolve(e),
    );
  });
  assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
  assert.equal(v.store.reader.stats().spanCount, 0);
});

test("a taken port fails with PERISCOPE_VIEWER_PORT_IN_USE naming the flag to change", async (t) => {
  const a = await testViewer();
  t.after(() => a.close());
  const cases: Array<[object, RegExp]> = [
    [{ ui: a.uiUrl.slice("http://".length) }, /--ui/],
    [{ otlpHttp: a.otlpHttpUrl.slice("http://".length) }, /--otlp-http/],
    [{ otlpGrpc: a.otlpGrpcAddress }, /--otlp-grpc/],
  ];
  for (const [opts, flag] of cases) {
    await assert.rejects(testViewer(opts), (e: Error) => {
      assert.match(e.message, /^PERISCOPE_VIEWER_PORT_IN_USE: /);
      assert.match(e.message, flag);
      return true;
    });
  }
});
