// The console's own picture of the remote program: tasks, resources and async ops with their
// wire strings already sanitized, and times as nanoseconds relative to the state's epoch.

export type TaskState = "running" | "scheduled" | "idle" | "done";

export type LintId =
  | "self-wakes"
  | "lost-waker"
  | "never-yielded"
  | "long-poll"
  | "auto-boxed-future"
  | "large-future"
  | "lock-held"
  | "channel-growing";

export interface Task {
  /** The remote span id: the key on the wire and for WatchTaskDetails. */
  spanId: bigint;
  /** The console's own small sequential id, used when the runtime sends no task.id. */
  seq: number;
  /** What the ID column shows: the runtime's task.id field, else `seq`. */
  idText: string;
  name: string;
  kind: string;
  target: string;
  location: string;
  /** Formatted `name=value` fields, the target among them (tokio-console shows it there). */
  fields: string[];
  fieldsText: string;
  /** Span ids active when the task was spawned; the nearest task among them is its parent. */
  parents: bigint[];
  sizeBytes: number | undefined;
  originalSizeBytes: number | undefined;
  createdAt: number;
  droppedAt: number | undefined;
  busy: number;
  scheduled: number;
  polls: number;
  firstPoll: number | undefined;
  lastPollStarted: number | undefined;
  lastPollEnded: number | undefined;
  lastWake: number | undefined;
  wakes: number;
  wakerClones: number;
  wakerDrops: number;
  selfWakes: number;
  /** A lower bound of the longest single poll, from busy-time growth between updates. */
  longestPollAtLeast: number;
  warnings: LintId[];
  /** Lowercased name, fields and location for `/` filtering. */
  search: string;
}

export interface Resource {
  spanId: bigint;
  seq: number;
  parentSpanId: bigint | undefined;
  kind: string;
  concreteType: string;
  target: string;
  location: string;
  visibility: "public" | "internal";
  createdAt: number;
  droppedAt: number | undefined;
  attributes: string[];
  attributesText: string;
  /** Attribute values by name, for the synthetic resources a Periscope server publishes. */
  attrs: Map<string, { value: string | number | bigint | boolean; unit: string }>;
  search: string;
}

export interface AsyncOp {
  spanId: bigint;
  seq: number;
  parentSpanId: bigint | undefined;
  resourceSpanId: bigint | undefined;
  source: string;
  taskSpanId: bigint | undefined;
  createdAt: number;
  droppedAt: number | undefined;
  polls: number;
  busy: number;
  lastPollStarted: number | undefined;
  lastPollEnded: number | undefined;
  attributes: string[];
  attributesText: string;
}

export interface Histogram {
  /** (percentile, nanoseconds) for p10, p25, p50, p75, p90, p95, p99. */
  percentiles: Array<[number, number]>;
  /** Recorded (value ns, count) pairs in ascending value order, for the chart. */
  values: Array<[number, number]>;
  count: number;
  min: number;
  /**
   * The longest value recorded, outliers included. Not console-api's max_value: that is the
   * histogram's configured ceiling (1 s by default), not a measurement.
   */
  max: number;
  highOutliers: number;
  highestOutlier: number | undefined;
}

export interface TaskDetails {
  spanId: bigint;
  pollTimes: Histogram | undefined;
  scheduledTimes: Histogram | undefined;
}

/** Event-loop health, when the server carries it. */
export interface LoopHealth {
  delayP50: number | undefined;
  delayP99: number | undefined;
  delayMax: number | undefined;
  /** 0..1 */
  utilization: number | undefined;
}

/** A poll the server saw block the event loop (from its periscope::Warnings resource). */
export interface ServerLongPoll {
  taskSpanId: bigint | undefined;
  task: string;
  durationNs: number;
  location: string;
}

/** What the server's retained completed tasks hold against its byte budget. */
export interface ServerRetained {
  bytes: number;
  /** undefined: no budget. */
  budgetBytes: number | undefined;
  /** Completed tasks forgotten before their retention ended, to stay within the budget. */
  droppedForBudget: number;
}

/** Lints the server computed itself; a Rust server sends none. */
export interface ServerWarnings {
  longPolls: number;
  thresholdNs: number | undefined;
  last: ServerLongPoll | undefined;
  worst: ServerLongPoll | undefined;
  /** From a server that reports its retained bytes (older Periscope servers do not). */
  retained: ServerRetained | undefined;
}
