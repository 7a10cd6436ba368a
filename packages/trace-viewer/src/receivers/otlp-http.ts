// OTLP/HTTP receiver: POST /v1/traces with protobuf or JSON bodies, optionally compressed,
// answered with the status codes the OpenTelemetry Collector uses. Bodies are read by
// http-body.ts: capped while they stream in, before and after decompression.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type GuardOptions, guard } from "../http-guard.ts";
import { OtlpDecodeError } from "../otlp/decode.ts";
import { encodeExportResponse, encodeRpcStatus } from "../otlp/schema.ts";
import { type BodyError, readBody } from "./http-body.ts";
import type { IngestSink } from "./ingest.ts";

type IngestFormat = "protobuf" | "json";

export interface HttpReceiverOptions {
  sink: IngestSink;
  /** Largest body accepted, compressed or not (bytes). */
  maxBodyBytes: number;
  /** Host and origin checks (no CORS unless origins are configured). */
  guard: GuardOptions;
}

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;

export function createOtlpHttpHandler(opts: HttpReceiverOptions) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("x-content-type-options", "nosniff");
    if (!guard(req, res, opts.guard, "POST, OPTIONS")) return void req.resume();
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/v1/traces")
      return plain(res, 404, "not found: OTLP traces go to POST /v1/traces");
    if (req.method !== "POST") {
      res.setHeader("allow", "POST, OPTIONS");
      return plain(res, 405, "method not allowed: use POST");
    }
    const ctype = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const format: IngestFormat | null =
      ctype === "application/x-protobuf" || ctype === "application/protobuf"
        ? "protobuf"
        : ctype === "application/json"
          ? "json"
          : null;
    if (!format) {
      return plain(
        res,
        415,
        "unsupported media type: send application/x-protobuf or application/json",
      );
    }
    const fail = (status: number, grpcCode: number, message: string) =>
      sendStatus(res, format, status, grpcCode, message);
    const store = (body: Buffer) =>
      opts.sink.submit(format === "protobuf" ? "otlp-protobuf" : "otlp-json", body).then(
        (r) => {
          if (format === "protobuf") {
            const out = encodeExportResponse(r.rejected, r.errorMessage);
            res.writeHead(200, {
              "content-type": "application/x-protobuf",
              "content-length": out.length,
            });
            res.end(out);
          } else {
            const out = JSON.stringify(
              r.rejected > 0
                ? {
                    partialSuccess: {
                      rejectedSpans: String(r.rejected),
                      errorMessage: r.errorMessage,
                    },
                  }
                : {},
            );
            res.writeHead(200, {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(out),
            });
            res.end(out);
          }
        },
        (e: unknown) => {
          if (e instanceof OtlpDecodeError) return fail(400, GRPC_INVALID_ARGUMENT, e.message);
          process.stderr.write(
            `periscope viewer: storing a batch failed: ${(e as Error).message}\n`,
          );
          res.setHeader("retry-after", "5");
          fail(
            503,
            GRPC_UNAVAILABLE,
            `PERISCOPE_VIEWER_STORE: the batch was not stored (${(e as Error).message}); retry later`,
          );
        },
      );
    readBody(req, opts.maxBodyBytes).then(
      (body) => store(body),
      (e: BodyError) => {
        if (e.status === 413) {
          res.setHeader("connection", "close");
          return fail(413, GRPC_RESOURCE_EXHAUSTED, e.message);
        }
        fail(400, GRPC_INVALID_ARGUMENT, e.message);
      },
    );
  };
}

function sendStatus(
  res: ServerResponse,
  format: IngestFormat,
  status: number,
  code: number,
  message: string,
): void {
  if (res.headersSent) return;
  if (format === "protobuf") {
    const body = encodeRpcStatus(code, message);
    res.writeHead(status, {
      "content-type": "application/x-protobuf",
      "content-length": body.length,
    });
    res.end(body);
  } else {
    const body = JSON.stringify({ code, message });
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
