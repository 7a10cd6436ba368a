// Reads a request body for the HTTP receivers (OTLP, Jaeger, Zipkin): capped while it streams in,
// before and after decompression (gzip, deflate, zstd), so neither a huge upload nor a zip bomb
// is ever held whole.
import type { IncomingMessage } from "node:http";
import type { Transform } from "node:stream";
import zlib from "node:zlib";

export class BodyError extends Error {
  readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string) {
    super(message);
    this.status = status;
  }
}

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fail = (e: BodyError) => {
      if (done) return;
      done = true;
      inflater?.destroy();
      req.unpipe();
      // Stop reading: the client learns the answer now instead of after uploading the rest.
      if (e.status === 413) setTimeout(() => req.destroy(), 100).unref();
      else req.resume();
      reject(e);
    };
    let done = false;
    if (Number(req.headers["content-length"] ?? 0) > max) {
      // Refused before a byte is read: answer, then drop the connection rather than read it all.
      setTimeout(() => req.destroy(), 100).unref();
      return reject(tooLarge(max));
    }
    const enc = (req.headers["content-encoding"] ?? "identity").toLowerCase().trim();
    let inflater: Transform | null = null;
    if (enc === "gzip" || enc === "x-gzip") inflater = zlib.createGunzip();
    else if (enc === "deflate") inflater = zlib.createInflate();
    else if (enc === "zstd" && typeof zlib.createZstdDecompress === "function")
      inflater = zlib.createZstdDecompress();
    else if (enc !== "identity" && enc !== "") {
      req.resume();
      return reject(
        new BodyError(
          400,
          `unsupported Content-Encoding "${enc.slice(0, 40)}": use gzip, deflate, zstd or none`,
        ),
      );
    }
    let raw = 0;
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      raw += c.length;
      if (raw > max) fail(tooLarge(max));
    });
    const source = inflater ? req.pipe(inflater) : req;
    source.on("data", (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) return fail(tooLarge(max));
      chunks.push(c);
    });
    source.on("error", (e: Error) =>
      fail(new BodyError(400, `could not decompress the body (${enc}): ${e.message}`)),
    );
    req.on("aborted", () => {
      done = true;
    });
    source.on("end", () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
  });
}

function tooLarge(max: number): BodyError {
  return new BodyError(
    413,
    `request body exceeds the ${max}-byte limit; send smaller batches or raise --max-body`,
  );
}
