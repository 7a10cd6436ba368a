// Console-api messages for tests: a small fixed program (connection tasks, a Db mutex, a
// semaphore) at fixed times, so frames are reproducible to the character.
import {
  type AsyncOpStats,
  type Duration,
  type Field,
  HdrHistogram,
  type ResourceStats,
  type TaskDetails,
  type Timestamp,
  Update,
} from "@periscope/console-api";

/** A fixed wall-clock origin: 2026-01-01T00:00:00Z. */
export const T0 = 1_767_225_600n;

export function ts(ms: number): Timestamp {
  const ns = BigInt(Math.round(ms * 1e6));
  return { seconds: T0 + ns / 1_000_000_000n, nanos: Number(ns % 1_000_000_000n) };
}

export function dur(ms: number): Duration {
  const ns = BigInt(Math.round(ms * 1e6));
  return { seconds: ns / 1_000_000_000n, nanos: Number(ns % 1_000_000_000n) };
}

export function str(name: string, value: string): Field {
  return { strName: name, strVal: value, metadataId: undefined };
}

export function u64(name: string, value: number): Field {
  return { strName: name, u64Val: BigInt(value), metadataId: undefined };
}

export interface TaskSpec {
  id: number;
  name?: string;
  fields?: Field[];
  parents?: number[];
  file?: string;
  line?: number;
  createdMs: number;
  droppedMs?: number;
  polls: number;
  busyMs: number;
  schedMs?: number;
  lastPollStartedMs?: number;
  lastPollEndedMs?: number;
  lastWakeMs?: number;
  wakes?: number;
  selfWakes?: number;
  wakerClones?: number;
  wakerDrops?: number;
}

export function taskUpdate(nowMs: number, specs: TaskSpec[], statsOnly = false): Update {
  const stats = new Map(
    specs.map((t) => [
      BigInt(t.id),
      {
        createdAt: ts(t.createdMs),
        droppedAt: t.droppedMs === undefined ? undefined : ts(t.droppedMs),
        wakes: BigInt(t.wakes ?? t.polls),
        wakerClones: BigInt(t.wakerClones ?? 0),
        wakerDrops: BigInt(t.wakerDrops ?? 0),
        lastWake: t.lastWakeMs === undefined ? undefined : ts(t.lastWakeMs),
        pollStats: {
          polls: BigInt(t.polls),
          firstPoll: t.polls > 0 ? ts(t.createdMs) : undefined,
          lastPollStarted: t.lastPollStartedMs === undefined ? undefined : ts(t.lastPollStartedMs),
          lastPollEnded: t.lastPollEndedMs === undefined ? undefined : ts(t.lastPollEndedMs),
          busyTime: dur(t.busyMs),
        },
        selfWakes: BigInt(t.selfWakes ?? 0),
        scheduledTime: dur(t.schedMs ?? 0),
      },
    ]),
  );
  return Update.fromPartial({
    now: ts(nowMs),
    newMetadata: statsOnly
      ? undefined
      : {
          metadata: [
            {
              id: { id: 1n },
              metadata: { name: "runtime.spawn", target: "tokio::task", fieldNames: [] },
            },
          ],
        },
    taskUpdate: {
      newTasks: statsOnly
        ? []
        : specs.map((t) => ({
            id: { id: BigInt(t.id) },
            metadata: { id: 1n },
            kind: 0,
            fields: [
              ...(t.name === undefined ? [] : [str("task.name", t.name)]),
              u64("task.id", t.id),
              str("kind", "task"),
              ...(t.fields ?? []),
            ],
            parents: (t.parents ?? []).map((p) => ({ id: BigInt(p) })),
            location: t.file ? { file: t.file, line: t.line ?? 1, column: 5 } : undefined,
          })),
      statsUpdate: stats,
      droppedEvents: 0n,
    },
  });
}

/** mini-redis at t = 10 s: the accept loop, three connections, one finished, one hot. */
export function miniRedisTasks(): TaskSpec[] {
  return [
    {
      id: 1,
      name: "listener",
      file: "src/server.ts",
      line: 40,
      createdMs: 0,
      polls: 12,
      busyMs: 3,
      lastPollStartedMs: 9000,
      lastPollEndedMs: 9000.2,
      lastWakeMs: 8999,
      wakerClones: 1,
    },
    {
      id: 2,
      name: "connection",
      fields: [str("peer.addr", "127.0.0.1:50001")],
      parents: [1],
      file: "src/server.ts",
      line: 88,
      createdMs: 1000,
      polls: 420,
      busyMs: 210,
      schedMs: 40,
      lastPollStartedMs: 9950,
      lastPollEndedMs: 9951,
      lastWakeMs: 9949,
      wakerClones: 2,
      wakerDrops: 1,
    },
    {
      id: 3,
      name: "connection",
      fields: [str("peer.addr", "127.0.0.1:50002")],
      parents: [1],
      file: "src/server.ts",
      line: 88,
      createdMs: 2000,
      polls: 90,
      busyMs: 1500,
      schedMs: 5,
      lastPollStartedMs: 9990,
      lastWakeMs: 9980,
      wakerClones: 1,
    },
    {
      id: 4,
      name: "connection",
      fields: [str("peer.addr", "127.0.0.1:50003")],
      parents: [1],
      file: "src/server.ts",
      line: 88,
      createdMs: 3000,
      droppedMs: 7000,
      polls: 30,
      busyMs: 12,
      schedMs: 1,
      lastPollStartedMs: 6999,
      lastPollEndedMs: 7000,
      wakerClones: 1,
      wakerDrops: 1,
    },
    {
      id: 5,
      name: "purge",
      file: "src/db.ts",
      line: 120,
      createdMs: 0,
      polls: 10,
      busyMs: 1,
      schedMs: 2,
      lastPollStartedMs: 9500,
      lastPollEndedMs: 9500.1,
      lastWakeMs: 9990,
      wakes: 10,
      selfWakes: 8,
      wakerClones: 3,
      wakerDrops: 1,
    },
  ];
}

export function resourceUpdate(nowMs: number): Update {
  const attr = (name: string, v: number, unit?: string) => ({ field: u64(name, v), unit });
  return Update.fromPartial({
    now: ts(nowMs),
    newMetadata: {
      metadata: [
        {
          id: { id: 2n },
          metadata: { name: "runtime.resource", target: "runtime::sync", fieldNames: [] },
        },
      ],
    },
    resourceUpdate: {
      newResources: [
        {
          id: { id: 100n },
          metadata: { id: 2n },
          concreteType: "Mutex<Db>",
          kind: { other: "Sync" },
          location: { file: "src/db.ts", line: 30, column: 3 },
          isInternal: false,
        },
        {
          id: { id: 101n },
          metadata: { id: 2n },
          concreteType: "Semaphore",
          kind: { other: "Sync" },
          location: { file: "src/server.ts", line: 20, column: 7 },
          isInternal: false,
        },
        {
          id: { id: 102n },
          metadata: { id: 2n },
          concreteType: "Sleep",
          kind: { known: 0 },
          parentResourceId: { id: 100n },
          location: { file: "src/db.ts", line: 130, column: 9 },
          isInternal: true,
        },
      ],
      statsUpdate: new Map<bigint, ResourceStats>([
        [
          100n,
          {
            createdAt: ts(0),
            droppedAt: undefined,
            attributes: [{ field: { strName: "locked", boolVal: true, metadataId: undefined } }],
          },
        ],
        [101n, { createdAt: ts(0), droppedAt: undefined, attributes: [attr("permits", 248)] }],
        [
          102n,
          { createdAt: ts(5000), droppedAt: undefined, attributes: [attr("duration", 1000, "ms")] },
        ],
      ]),
      droppedEvents: 0n,
    },
    asyncOpUpdate: {
      newAsyncOps: [
        { id: { id: 200n }, metadata: { id: 2n }, source: "Mutex::lock", resourceId: { id: 100n } },
        {
          id: { id: 201n },
          metadata: { id: 2n },
          source: "Semaphore::acquire",
          resourceId: { id: 101n },
        },
      ],
      statsUpdate: new Map<bigint, AsyncOpStats>([
        [
          200n,
          {
            createdAt: ts(9000),
            taskId: { id: 3n },
            droppedAt: undefined,
            pollStats: { polls: 2n, busyTime: dur(0.5) },
            attributes: [],
          },
        ],
        [
          201n,
          {
            createdAt: ts(8000),
            taskId: { id: 2n },
            droppedAt: undefined,
            pollStats: { polls: 1n, busyTime: dur(0.1) },
            attributes: [],
          },
        ],
      ]),
      droppedEvents: 0n,
    },
  });
}

/** HdrHistogram V2 bytes (uncompressed, the form console-subscriber sends) of `valuesNs`. */
export function histogramBytes(valuesNs: number[]): Buffer {
  const h = new HdrHistogram(1, 60e9, 2);
  for (const v of valuesNs) h.record(v);
  return Buffer.from(h.encodeV2());
}

export function details(taskId: number, pollNs: number[], schedNs: number[]): TaskDetails {
  // max_value is the histogram's configured ceiling (1 s in tokio's and our subscriber), not
  // the longest value recorded.
  const max = (_xs: number[]) => 1_000_000_000n;
  return {
    taskId: { id: BigInt(taskId) },
    now: ts(10_000),
    histogram: {
      rawHistogram: histogramBytes(pollNs),
      maxValue: max(pollNs),
      highOutliers: 0n,
      highestOutlier: undefined,
    },
    scheduledTimesHistogram: {
      rawHistogram: histogramBytes(schedNs),
      maxValue: max(schedNs),
      highOutliers: 0n,
      highestOutlier: undefined,
    },
  };
}

/** The two synthetic resources a Periscope server adds: event-loop health and long polls. */
export function periscopeExtras(nowMs: number): Update {
  const attr = (name: string, v: bigint | string, unit?: string) => ({
    field:
      typeof v === "string"
        ? { strName: name, strVal: v, metadataId: undefined }
        : { strName: name, u64Val: v, metadataId: undefined },
    unit,
  });
  const loopId = 2n ** 64n - 2n;
  const warnId = 2n ** 64n - 1n;
  return Update.fromPartial({
    now: ts(nowMs),
    resourceUpdate: {
      newResources: [
        { id: { id: loopId }, concreteType: "node::EventLoop", kind: { other: "event_loop" } },
        { id: { id: warnId }, concreteType: "periscope::Warnings", kind: { other: "warnings" } },
      ],
      statsUpdate: new Map<bigint, ResourceStats>([
        [
          loopId,
          {
            createdAt: ts(0),
            droppedAt: undefined,
            attributes: [
              attr("delay.p50", 1_100n, "us"),
              attr("delay.p99", 12_400n, "us"),
              attr("delay.max", 230_500n, "us"),
              attr("utilization", 37n, "%"),
            ],
          },
        ],
        [
          warnId,
          {
            createdAt: ts(0),
            droppedAt: undefined,
            attributes: [
              attr("long_polls", 2n, "polls"),
              attr("long_poll.threshold", 50n, "ms"),
              attr("worst_long_poll.span_id", 3n),
              attr("worst_long_poll.task", "3 (connection)"),
              attr("worst_long_poll.duration", 230_000n, "us"),
              attr("worst_long_poll.location", "src/server.ts:88:5"),
              attr("retained.bytes", 8192n, "KiB"),
              attr("retained.budget", 32768n, "KiB"),
              attr("retained.dropped_for_budget", 1234n, "tasks"),
            ],
          },
        ],
      ]),
    },
  });
}
