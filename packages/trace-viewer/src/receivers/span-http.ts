// The HTTP side shared by the Jaeger collector (POST /api/traces, port 14268) and Zipkin
// (POST /api/v2/spans and /api/v1/spans, port 9411) receivers: guards, body caps, one decoder
// per route and media type, and their servers' answers — 202 once the spans are committed, 400
// for a body that cannot be decoded, 413, 415, 405, and 503 with Retry-After if the store failed.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type GuardOptions, guard } from "../http-guard.ts";
import { OtlpDecodeError } from "../otlp/decode.ts";
import { BodyError, readBody } from "./http-body.ts";
import type { IngestSink } from "./ingest.ts";
import type { WireFormat } from "./wire.ts";

export interface SpanRoute {
  path: string;
  /** Media types (lowercase, without parameters) this route takes, and their wire formats. */
  decoders: Record<string, WireFormat>;
}

export interface SpanHttpOptions {
  sink: IngestSink;
  maxBodyBytes: number;
  guard: GuardOptions;
  routes: SpanRoute[];
}

export function createSpanHttpHandler(opts: SpanHttpOptions) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("x-content-type-options", "nosniff");
    if (!guard(req, res, opts.guard, "POST, OPTIONS")) return void req.resume();
    const path = (req.url ?? "/").split("?")[0];
    const route = opts.routes.find((r) => r.path === path);
    if (!route) {
      req.resume();
      return plain(
        res,
        404,
        `not found: spans go to POST ${opts.routes.map((r) => r.path).join(" or ")}`,
      );
    }
    if (req.method !== "POST") {
      req.resume();
      res.setHeader("allow", "POST, OPTIONS");
      return plain(res, 405, "method not allowed: use POST");
    }
    const ctype = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const format = route.decoders[ctype];
    if (!format) {
      req.resume();
      return plain(
        res,
        415,
        `unsupported media type: send ${Object.keys(route.decoders).join(" or ")}`,
      );
    }
    readBody(req, opts.maxBodyBytes)
      .then((body) => opts.sink.submit(format, body))
      .then(
        () => {
          res.writeHead(202, { "content-length": 0 });
          res.end();
        },
        (e: unknown) => {
          if (e instanceof BodyError) {
            if (e.status === 413) res.setHeader("connection", "close");
            return plain(res, e.status, e.message);
          }
          if (e instanceof OtlpDecodeError) return plain(res, 400, e.message);
          process.stderr.write(
            `periscope viewer: storing a batch failed: ${(e as Error).message}\n`,
          );
          res.setHeader("retry-after", "5");
          plain(
            res,
            503,
            `PERISCOPE_VIEWER_STORE: the batch was not stored (${(e as Error).message}); retry later`,
          );
        },
      );
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text) + 1,
  });
  res.end(`${text}\n`);
}
