// The JSON shapes of Jaeger's query API (/api/*) as the viewer's backend and Jaeger itself serve
// them: times in microseconds, typed tags, processes keyed by id.

export type TagValue = string | number | boolean;

export interface KeyValue {
  key: string;
  type?: string;
  value: TagValue;
}

export interface Log {
  timestamp: number;
  fields: KeyValue[];
}

export interface Reference {
  refType: "CHILD_OF" | "FOLLOWS_FROM" | string;
  traceID: string;
  spanID: string;
}

export interface Span {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: Reference[] | null;
  startTime: number;
  duration: number;
  tags?: KeyValue[] | null;
  logs?: Log[] | null;
  processID: string;
  warnings?: string[] | null;
  flags?: number;
}

export interface Process {
  serviceName: string;
  tags?: KeyValue[] | null;
}

export interface Trace {
  traceID: string;
  spans: Span[];
  processes: Record<string, Process>;
  warnings?: string[] | null;
}

export interface ApiError {
  code?: number;
  msg?: string;
}

export interface Envelope<T> {
  data: T | null;
  total?: number;
  limit?: number;
  offset?: number;
  errors?: ApiError[] | null;
}
