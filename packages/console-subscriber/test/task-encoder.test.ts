// The hand-written tasks.Task encoder writes the same bytes as the generated codec, for tasks with
// every kind of field value, parents, locations and non-ASCII or long strings.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Task as TaskCodec } from "@periscope/console-api";
import type { FieldValue, Metadata } from "@periscope/tracing";
import { ManualClock } from "../src/clock.ts";
import { MAX_FIELD_CHARS } from "../src/fields.ts";
import { ProtoBuilder } from "../src/protos.ts";
import { encodeTask } from "../src/task-encoder.ts";
import { TaskEntity } from "../src/task-entity.ts";

const META = { name: "runtime.spawn", target: "tokio::task" } as Metadata;
const protos = new ProtoBuilder(new ManualClock(1_764_000_000_000), 1e9, 1e9);

function check(e: TaskEntity, what: string, roundTrip = false): void {
  const want = TaskCodec.encode(protos.task(e)).finish();
  assert.deepEqual(encodeTask(e), want, what);
  // (A lone surrogate decodes as U+FFFD, so only messages without one round-trip.)
  if (roundTrip) assert.deepEqual(TaskCodec.decode(encodeTask(e)), protos.task(e), what);
}

test("a request-like task, a blocking task with a parent, and an empty one encode as generated", () => {
  const req = new TaskEntity(
    7n,
    3n,
    META,
    1,
    {
      kind: "task",
      "task.name": "GET /users/:id",
      "task.id": 12n,
      method: "GET",
      path: "/users/:id",
      "conn.task.id": 5n,
      status: 200,
      duration: "1.2ms",
      "loc.file": "app.js",
      "loc.line": 3,
      "loc.col": 9,
    },
    { file: "app.js", line: 3, column: 9 },
  );
  req.parent = 5n;
  check(req, "request", true);
  const blocking = new TaskEntity(1n, 0n, META, 1, { kind: "blocking", ok: false }, undefined);
  blocking.parent = 2n ** 63n + 5n;
  check(blocking, "blocking, metadata id 0, a parent beyond 2^63", true);
  check(
    new TaskEntity(0n, 1n, META, 1, {}, { file: "", line: undefined, column: 0 }),
    "empty",
    true,
  );
});

test("random field values, strings and ids match the generated codec byte for byte", () => {
  let seed = 11;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const strings = [
    "",
    "GET /",
    "é",
    "日本語のパス",
    "emoji 🚀",
    "lone \ud800 surrogate",
    "x".repeat(127),
    "x".repeat(128),
    "ü".repeat(70),
    "y".repeat(MAX_FIELD_CHARS + 10),
    "z".repeat(20_000),
  ];
  const values: (() => FieldValue)[] = [
    () => pick(strings),
    () => rnd() < 0.5,
    () => Math.floor(rnd() * 2 ** 40),
    () => pick([0, 1, 127, 128, Number.MAX_SAFE_INTEGER]),
    () => -Math.floor(rnd() * 2 ** 40) - 1,
    () => pick([1.5, -0.25, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]),
    () => pick([0n, 1n, 2n ** 64n - 1n, 2n ** 64n, -1n, -(2n ** 63n), -(2n ** 63n) - 1n]),
    () => pick([null, undefined, new Error("boom"), { a: 1 }, Symbol("s"), () => 1]),
  ];
  for (let i = 0; i < 2000; i++) {
    const fields: Record<string, FieldValue> = {};
    const n = Math.floor(rnd() * 8);
    for (let j = 0; j < n; j++)
      fields[`${pick(["k", "ключ", "task.name", "a.b"])}${j}`] = pick(values)();
    if (rnd() < 0.3) fields["loc.file"] = "skipped.js";
    const loc =
      rnd() < 0.3
        ? undefined
        : {
            file: pick(strings),
            line: pick([undefined, 0, 1, 300, 2 ** 32 - 1]),
            column: pick([undefined, 0, 17, 2 ** 20]),
          };
    const e = new TaskEntity(
      pick([0n, 1n, BigInt(i), 2n ** 53n + 1n, 2n ** 64n - 1n]),
      pick([0n, 1n, 300n]),
      META,
      1,
      fields,
      loc,
    );
    if (rnd() < 0.5) e.parent = pick([1n, 2n ** 40n, 0n]);
    check(e, `case ${i}`);
  }
});
