// Every wire format the viewer takes in, and its decoder: one place that turns a request body
// into validated spans, used by the writer (on its thread) and by the bench's decode-only floor.
// Anything a decoder throws is the body's fault and becomes an OtlpDecodeError (400, never 503).
import type { DecodedExport } from "../model.ts";
import { decodeProtobuf, OtlpDecodeError } from "../otlp/decode.ts";
import { decodeJson } from "../otlp/json-decode.ts";
import { decodePostSpans } from "./jaeger-grpc-decode.ts";
import { jaegerToExport } from "./jaeger-model.ts";
import { decodeAgentMessage, decodeBatch } from "./jaeger-thrift.ts";
import { decodeZipkinProto, decodeZipkinV1Json, decodeZipkinV2Json } from "./zipkin-decode.ts";
import { zipkinToExport } from "./zipkin-model.ts";

export type WireFormat =
  | "otlp-protobuf"
  | "otlp-json"
  | "zipkin-json"
  | "zipkin-protobuf"
  | "zipkin-v1-json"
  | "jaeger-thrift-http"
  | "jaeger-udp-compact"
  | "jaeger-udp-binary"
  | "jaeger-grpc";

/** Decodes one request body exactly as its receiver does, without storing it. */
export function decodeWire(format: WireFormat, body: Uint8Array): DecodedExport {
  try {
    return decodeUnchecked(format, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  } catch (e) {
    if (e instanceof OtlpDecodeError) throw e;
    throw new OtlpDecodeError(`body could not be decoded: ${(e as Error).message}`);
  }
}

function decodeUnchecked(format: WireFormat, body: Buffer): DecodedExport {
  switch (format) {
    case "otlp-protobuf":
      return decodeProtobuf(body);
    case "otlp-json": {
      let obj: unknown;
      try {
        obj = JSON.parse(body.toString("utf8"));
      } catch (e) {
        throw new OtlpDecodeError(`body is not valid JSON: ${(e as Error).message}`);
      }
      return decodeJson(obj);
    }
    case "zipkin-json":
      return zipkinToExport(decodeZipkinV2Json(body));
    case "zipkin-protobuf":
      return zipkinToExport(decodeZipkinProto(body));
    case "zipkin-v1-json":
      return zipkinToExport(decodeZipkinV1Json(body));
    case "jaeger-thrift-http":
      return jaegerToExport([decodeBatch("binary", body)]);
    case "jaeger-udp-compact":
      return jaegerToExport([decodeAgentMessage("compact", body)]);
    case "jaeger-udp-binary":
      return jaegerToExport([decodeAgentMessage("binary", body)]);
    case "jaeger-grpc":
      return jaegerToExport(decodePostSpans(body));
  }
}
