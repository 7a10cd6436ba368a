// `periscope viewer`: parses flags, starts the viewer, prints where it listens and stops
// cleanly (exit 0) on SIGINT or SIGTERM.
import { parseArgs } from "node:util";
import { parseDuration } from "./query/params.ts";
import { DEFAULT_MAX_BODY, defaultDataDir, startViewer, type ViewerOptions } from "./viewer.ts";

const HELP = `usage: periscope viewer [options]

The embedded trace viewer: OTLP, Jaeger and Zipkin in; Jaeger's query API and a web UI out.

options:
  --ui HOST:PORT         web UI and Jaeger query API   (default 127.0.0.1:16686)
  --otlp-http HOST:PORT  OTLP/HTTP receiver, or "off"   (default 127.0.0.1:4318)
  --otlp-grpc HOST:PORT  OTLP/gRPC receiver, or "off"   (default 127.0.0.1:4317)
  --jaeger-compact ADDR  Jaeger agent UDP, Thrift compact, or "off" (default 127.0.0.1:6831)
  --jaeger-binary ADDR   Jaeger agent UDP, Thrift binary, or "off"  (default 127.0.0.1:6832)
  --jaeger-http ADDR     Jaeger collector HTTP (POST /api/traces), or "off" (default 127.0.0.1:14268)
  --jaeger-grpc ADDR     Jaeger collector gRPC (api_v2), or "off" (default 127.0.0.1:14250)
  --zipkin ADDR          Zipkin HTTP (POST /api/v2/spans, /api/v1/spans), or "off" (default 127.0.0.1:9411)
  --data DIR             where spans are stored        (default ${defaultDataDir()})
  --in-memory            keep spans in memory only
  --retention AGE        drop spans older than AGE, e.g. 12h, 7d; 0 keeps all (default 7d)
  --max-size SIZE        cap on the database and its WAL, e.g. 500MB, 2GB; the oldest spans
                         go first; 0 = no cap (default 1GB on disk, 256MB in memory)
  --max-body SIZE        largest HTTP request accepted, OTLP/Jaeger/Zipkin (default 64MiB)
  --grpc-max-message SIZE  largest gRPC message accepted, OTLP/Jaeger (default 4MiB)
  --grpc-max-in-flight SIZE  gRPC message bytes held at once over all streams until stored;
                         more get RESOURCE_EXHAUSTED (default 64MiB)
  --query-max-spans N    most spans one API answer holds (default 250000)
  --query-timeout DUR    stop an API query running longer, e.g. 30s (default 30s)
  --max-clock-skew-adjustment DUR  largest move of a span by Jaeger's clock-skew adjuster,
                         e.g. 1s; 0s moves nothing and warns instead (default 0s, as Jaeger)
  --cors-origin ORIGIN   let web pages of ORIGIN (e.g. http://localhost:3000) send spans and
                         read the API; repeatable (default: no cross-origin access)
  -h, --help             this text`;

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

export function parseSize(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new Error(
      `PERISCOPE_VIEWER_BAD_SIZE: ${flag} "${s}" is not a size; use e.g. 500MB or 2GB`,
    );
  }
  return Math.floor(Number(m[1]) * unit);
}

function parseCount(s: string, flag: string): number {
  if (!/^[1-9]\d{0,9}$/.test(s)) {
    throw new Error(`PERISCOPE_VIEWER_BAD_COUNT: ${flag} "${s}" is not a positive whole number`);
  }
  return Number(s);
}

/** A web origin as browsers send it: scheme://host[:port], nothing else. */
export function parseOrigin(s: string): string {
  let u: URL | null = null;
  try {
    u = new URL(s);
  } catch {}
  if (!u || !/^https?:$/.test(u.protocol) || u.origin !== s.replace(/\/$/, "")) {
    throw new Error(
      `PERISCOPE_VIEWER_BAD_ORIGIN: --cors-origin "${s}" is not an origin; use e.g. http://localhost:3000`,
    );
  }
  return u.origin;
}

/** Runs the viewer until SIGINT/SIGTERM; returns the exit code. */
export async function runViewerCli(argv: string[]): Promise<number> {
  let opts: ViewerOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        ui: { type: "string" },
        "otlp-http": { type: "string" },
        "otlp-grpc": { type: "string" },
        "jaeger-compact": { type: "string" },
        "jaeger-binary": { type: "string" },
        "jaeger-http": { type: "string" },
        zipkin: { type: "string" },
        "jaeger-grpc": { type: "string" },
        "query-max-spans": { type: "string" },
        "query-timeout": { type: "string" },
        "max-clock-skew-adjustment": { type: "string" },
        data: { type: "string" },
        "in-memory": { type: "boolean" },
        retention: { type: "string" },
        "max-size": { type: "string" },
        "max-body": { type: "string" },
        "cors-origin": { type: "string", multiple: true },
        "grpc-max-message": { type: "string" },
        "grpc-max-in-flight": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (values.data && values["in-memory"]) {
      throw new Error(
        "PERISCOPE_VIEWER_BAD_FLAGS: --data and --in-memory exclude each other; pick one",
      );
    }
    const off = (v: string | undefined) => (v === "off" || v === "none" ? false : v);
    opts = {
      ui: values.ui,
      otlpHttp: off(values["otlp-http"]),
      otlpGrpc: off(values["otlp-grpc"]),
      jaegerCompact: off(values["jaeger-compact"]),
      jaegerBinary: off(values["jaeger-binary"]),
      jaegerHttp: off(values["jaeger-http"]),
      zipkin: off(values.zipkin),
      jaegerGrpc: off(values["jaeger-grpc"]),
      queryLimits: {
        ...(values["query-max-spans"] === undefined
          ? {}
          : { maxSpans: parseCount(values["query-max-spans"], "--query-max-spans") }),
        ...(values["max-clock-skew-adjustment"] === undefined
          ? {}
          : {
              maxClockSkewAdjustUs: parseDuration(
                values["max-clock-skew-adjustment"],
                "--max-clock-skew-adjustment",
              ),
            }),
      },
      queryTimeoutMs:
        values["query-timeout"] === undefined
          ? undefined
          : parseDuration(values["query-timeout"], "--query-timeout") / 1000,
      dataDir: values.data,
      inMemory: values["in-memory"] ?? false,
      retentionMs:
        values.retention === undefined
          ? undefined
          : values.retention === "0"
            ? 0
            : parseDuration(values.retention, "--retention") / 1000,
      maxBytes:
        values["max-size"] === undefined ? undefined : parseSize(values["max-size"], "--max-size"),
      maxBodyBytes:
        values["max-body"] === undefined
          ? DEFAULT_MAX_BODY
          : parseSize(values["max-body"], "--max-body"),
      corsOrigins: (values["cors-origin"] ?? []).map(parseOrigin),
      maxGrpcMessageBytes:
        values["grpc-max-message"] === undefined
          ? undefined
          : parseSize(values["grpc-max-message"], "--grpc-max-message"),
      maxGrpcInFlightBytes:
        values["grpc-max-in-flight"] === undefined
          ? undefined
          : parseSize(values["grpc-max-in-flight"], "--grpc-max-in-flight"),
    };
  } catch (e) {
    console.error(`periscope viewer: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  let viewer: Awaited<ReturnType<typeof startViewer>>;
  try {
    viewer = await startViewer(opts);
  } catch (e) {
    console.error(`periscope viewer: ${(e as Error).message}`);
    return 1;
  }
  console.log(`periscope viewer
  web UI + Jaeger API  ${viewer.uiUrl}
  OTLP/HTTP            ${viewer.otlpHttpUrl ? `${viewer.otlpHttpUrl}/v1/traces` : "off"}
  OTLP/gRPC            ${viewer.otlpGrpcAddress || "off"}
  Jaeger UDP compact   ${viewer.protocols.jaegerCompact || "off"}
  Jaeger UDP binary    ${viewer.protocols.jaegerBinary || "off"}
  Jaeger HTTP          ${viewer.protocols.jaegerHttp ? `${viewer.protocols.jaegerHttp}/api/traces` : "off"}
  Jaeger gRPC          ${viewer.protocols.jaegerGrpc || "off"}
  Zipkin               ${viewer.protocols.zipkin ? `${viewer.protocols.zipkin}/api/v2/spans` : "off"}
  storage              ${viewer.store.inMemory ? "in memory" : viewer.dataPath}
press Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await viewer.close();
  return 0;
}
