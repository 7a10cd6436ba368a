// Decodes Zipkin's span formats into one shape: v2 JSON and v2 protobuf (ListOfSpans, decoded by
// protobufjs from a descriptor with zipkin-api's field numbers) and v1 JSON (annotations and
// binary annotations, mapped the way Zipkin's own v1-to-v2 converter reads them).
import protobuf from "protobufjs";
import { OtlpDecodeError } from "../otlp/decode.ts";

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

/** A span in Zipkin's v2 model; ids as hex strings. */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  kind?: "CLIENT" | "SERVER" | "PRODUCER" | "CONSUMER";
  name?: string;
  timestamp?: number; // µs
  duration?: number; // µs
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations: Array<{ timestamp: number; value: string }>;
  tags: Record<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: protobufjs's JSON descriptor type lacks map fields.
const schema = protobuf.Root.fromJSON({
  nested: {
    zipkin: {
      nested: {
        Endpoint: {
          fields: {
            serviceName: { type: "string", id: 1 },
            ipv4: { type: "bytes", id: 2 },
            ipv6: { type: "bytes", id: 3 },
            port: { type: "int32", id: 4 },
          },
        },
        Annotation: {
          fields: { timestamp: { type: "fixed64", id: 1 }, value: { type: "string", id: 2 } },
        },
        Span: {
          fields: {
            traceId: { type: "bytes", id: 1 },
            parentId: { type: "bytes", id: 2 },
            id: { type: "bytes", id: 3 },
            kind: { type: "int32", id: 4 },
            name: { type: "string", id: 5 },
            timestamp: { type: "fixed64", id: 6 },
            duration: { type: "uint64", id: 7 },
            localEndpoint: { type: "Endpoint", id: 8 },
            remoteEndpoint: { type: "Endpoint", id: 9 },
            annotations: { rule: "repeated", type: "Annotation", id: 10 },
            tags: { keyType: "string", type: "string", id: 11 },
            debug: { type: "bool", id: 12 },
            shared: { type: "bool", id: 13 },
          },
        },
        ListOfSpans: { fields: { spans: { rule: "repeated", type: "Span", id: 1 } } },
      },
    },
  },
} as any);
const ListOfSpans = schema.lookupType("zipkin.ListOfSpans");
const PB_KINDS = [undefined, "CLIENT", "SERVER", "PRODUCER", "CONSUMER"] as const;

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON and protobufjs messages are untyped.
type Any = any;

const hex = (b: Uint8Array | undefined) => (b?.length ? Buffer.from(b).toString("hex") : "");
const num = (v: Any) => (v == null ? undefined : Number(v));

function ip(b: Uint8Array | undefined, v6: boolean): string | undefined {
  if (!b?.length) return undefined;
  if (!v6) return [...b].join(".");
  return Buffer.from(b)
    .toString("hex")
    .replace(/(.{4})(?!$)/g, "$1:");
}

function pbEndpoint(e: Any): ZipkinEndpoint | undefined {
  if (!e) return undefined;
  return {
    serviceName: e.serviceName || undefined,
    ipv4: ip(e.ipv4, false),
    ipv6: ip(e.ipv6, true),
    port: e.port || undefined,
  };
}

export function decodeZipkinProto(body: Buffer): ZipkinSpan[] {
  let msg: Any;
  try {
    msg = ListOfSpans.decode(body);
  } catch (e) {
    throw new OtlpDecodeError(`body is not a protobuf zipkin ListOfSpans: ${(e as Error).message}`);
  }
  return (msg.spans ?? []).map(
    (s: Any): ZipkinSpan => ({
      traceId: hex(s.traceId),
      id: hex(s.id),
      parentId: hex(s.parentId) || undefined,
      kind: PB_KINDS[s.kind] ?? undefined,
      name: s.name || undefined,
      timestamp: num(s.timestamp),
      duration: num(s.duration),
      localEndpoint: pbEndpoint(s.localEndpoint),
      remoteEndpoint: pbEndpoint(s.remoteEndpoint),
      annotations: (s.annotations ?? []).map((a: Any) => ({
        timestamp: Number(a.timestamp),
        value: a.value ?? "",
      })),
      tags: { ...(s.tags ?? {}) },
    }),
  );
}

function parseArray(body: Buffer): Any[] {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new OtlpDecodeError("a Zipkin body is a JSON array of spans");
  return v;
}

const str = (v: unknown) => (typeof v === "string" ? v : v == null ? "" : String(v));

function jsonEndpoint(e: Any): ZipkinEndpoint | undefined {
  if (!e || typeof e !== "object") return undefined;
  return {
    serviceName: e.serviceName ? str(e.serviceName) : undefined,
    ipv4: e.ipv4 ? str(e.ipv4) : undefined,
    ipv6: e.ipv6 ? str(e.ipv6) : undefined,
    port: typeof e.port === "number" ? e.port : undefined,
  };
}

export function decodeZipkinV2Json(body: Buffer): ZipkinSpan[] {
  return parseArray(body).map((s: Any): ZipkinSpan => {
    if (!s || typeof s !== "object")
      throw new OtlpDecodeError("each Zipkin span must be an object");
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.tags ?? {})) tags[k] = str(v);
    return {
      traceId: str(s.traceId).toLowerCase(),
      id: str(s.id).toLowerCase(),
      parentId: s.parentId ? str(s.parentId).toLowerCase() : undefined,
      kind: ["CLIENT", "SERVER", "PRODUCER", "CONSUMER"].includes(s.kind) ? s.kind : undefined,
      name: s.name ? str(s.name) : undefined,
      timestamp: num(s.timestamp),
      duration: num(s.duration),
      localEndpoint: jsonEndpoint(s.localEndpoint),
      remoteEndpoint: jsonEndpoint(s.remoteEndpoint),
      annotations: Array.isArray(s.annotations)
        ? s.annotations.map((a: Any) => ({
            timestamp: Number(a?.timestamp ?? 0),
            value: str(a?.value),
          }))
        : [],
      tags,
    };
  });
}

/** v1 core annotations: which side of an RPC or message the span is, and where it starts/ends. */
const CORE: Record<string, ZipkinSpan["kind"]> = {
  cs: "CLIENT",
  cr: "CLIENT",
  sr: "SERVER",
  ss: "SERVER",
  ms: "PRODUCER",
  mr: "CONSUMER",
};

export function decodeZipkinV1Json(body: Buffer): ZipkinSpan[] {
  return parseArray(body).map((s: Any): ZipkinSpan => {
    if (!s || typeof s !== "object")
      throw new OtlpDecodeError("each Zipkin span must be an object");
    const annotations: ZipkinSpan["annotations"] = [];
    let kind: ZipkinSpan["kind"];
    let local: ZipkinEndpoint | undefined;
    let remote: ZipkinEndpoint | undefined;
    for (const a of Array.isArray(s.annotations) ? s.annotations : []) {
      const value = str(a?.value);
      const core = CORE[value];
      if (core) {
        kind ??= core;
        local ??= jsonEndpoint(a.endpoint);
      } else {
        annotations.push({ timestamp: Number(a?.timestamp ?? 0), value });
        local ??= jsonEndpoint(a?.endpoint);
      }
    }
    const tags: Record<string, string> = {};
    for (const b of Array.isArray(s.binaryAnnotations) ? s.binaryAnnotations : []) {
      const key = str(b?.key);
      // "ca"/"sa"/"ma" carry the remote address; "lc" names the local component.
      if (key === "ca" || key === "sa" || key === "ma") remote ??= jsonEndpoint(b.endpoint);
      else tags[key] = str(b?.value);
      if (key !== "ca" && key !== "sa" && key !== "ma") local ??= jsonEndpoint(b?.endpoint);
    }
    return {
      traceId: str(s.traceIdHigh ? `${s.traceIdHigh}${s.traceId}` : s.traceId).toLowerCase(),
      id: str(s.id).toLowerCase(),
      parentId: s.parentId ? str(s.parentId).toLowerCase() : undefined,
      kind,
      name: s.name ? str(s.name) : undefined,
      timestamp: num(s.timestamp),
      duration: num(s.duration),
      localEndpoint: local,
      remoteEndpoint: remote,
      annotations,
      tags,
    };
  });
}
