// The hand-written Update encoder writes what the generated codec writes for the same message:
// each part decoded and encoded again by ts-proto gives the same bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  RegisterMetadata_NewMetadata as NewMetadataCodec,
  Task as TaskCodec,
  TaskStats as TaskStatsCodec,
  Update,
} from "@periscope/console-api";
import { encodeUpdates, type Item } from "../src/update-encoder.ts";

test("random task updates (new tasks, stats, drops, metadata, split in parts) match ts-proto", () => {
  let seed = 5;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const task = (id: bigint): Uint8Array =>
    TaskCodec.encode({
      id: { id },
      metadata: { id: 1n },
      kind: 0,
      fields: [],
      parents: [],
      location: { file: "a.js", modulePath: undefined, line: 1, column: 2 },
    }).finish();
  const stats = (): Uint8Array =>
    TaskStatsCodec.encode(
      TaskStatsCodec.fromPartial({ wakes: BigInt(Math.floor(rnd() * 1e6)), pollStats: {} }),
    ).finish();
  let parts = 0;
  for (let i = 0; i < 300; i++) {
    const items: Item[] = [];
    const n = Math.floor(rnd() * 400);
    for (let j = 0; j < n; j++) {
      // Unique ids (a decoded stats map keeps one entry per id), small to beyond 2^53.
      const id = [BigInt(j + 1), 2n ** 40n + BigInt(j), 2n ** 64n - 1n - BigInt(j)][
        Math.floor(rnd() * 3)
      ] as bigint;
      items.push({
        section: 0,
        id,
        created: rnd() < 0.5 ? undefined : task(id),
        stats: stats(),
      });
    }
    const metadata =
      rnd() < 0.5
        ? undefined
        : [
            NewMetadataCodec.fromPartial({
              id: { id: 3n },
              metadata: { name: "runtime.spawn", target: "tokio::task", fieldNames: ["a"] },
            }),
          ];
    const out = encodeUpdates(
      {
        now: {
          seconds: rnd() < 0.1 ? 0n : BigInt(Math.floor(rnd() * 2 ** 33)),
          nanos: rnd() < 0.1 ? 0 : Math.floor(rnd() * 1e9),
        },
        metadata,
        items,
        pollOps: [],
        droppedTasks: Math.floor(rnd() * 3),
        droppedResources: Math.floor(rnd() * 3) * 1000,
        droppedAsyncOps: rnd() < 0.5 ? 0 : 2 ** 40,
      },
      rnd() < 0.3 ? 70_000 : undefined,
    );
    for (const p of out) {
      assert.deepEqual(Buffer.from(Update.encode(Update.decode(p)).finish()), p, `case ${i}`);
      parts++;
    }
  }
  assert.ok(parts > 300);
});
