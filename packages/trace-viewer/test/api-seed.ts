// The seeded viewer the query API tests share: three services, two traces and an XSS payload,
// sent over OTLP/JSON to a viewer on loopback ports.
import { hexId, jsonRequest, postJson, testViewer } from "./helpers.ts";

export const T0 = 1_760_000_000_000_000_000n; // ns
export const MS = 1_000_000n;
export const TRACE_A = hexId(0xa, 16);
export const TRACE_B = "5b8efff798038103d269b633813fc60c";
export const XSS = `<img src=x onerror="alert(1)"><script>alert('x')</script>\u001b[31m`;

export async function seeded(t: { after: (fn: () => Promise<void>) => void }, opts = {}) {
  const v = await testViewer({ otlpGrpc: false, ...opts });
  t.after(() => v.close());
  const str = (s: string) => ({ stringValue: s });
  await postJson(
    v.otlpHttpUrl,
    jsonRequest("frontend", [
      {
        traceId: TRACE_A,
        spanId: hexId(1, 8),
        name: "GET /",
        startNs: T0,
        durationNs: 120n * MS,
        attributes: [{ key: "http.route", value: str("/") }],
      },
      {
        traceId: TRACE_B,
        spanId: hexId(5, 8),
        name: "GET /slow",
        startNs: T0 + 1000n * MS,
        durationNs: 1500n * MS,
        attributes: [{ key: "customer", value: str("acme") }],
      },
    ]),
  );
  const redis = jsonRequest("redis", [
    {
      traceId: TRACE_A,
      spanId: hexId(2, 8),
      parentSpanId: hexId(1, 8),
      name: "GET",
      startNs: T0 + 10n * MS,
      durationNs: 5n * MS,
      attributes: [
        { key: "db.key", value: str("user:1") },
        { key: "hits", value: { intValue: "3" } },
      ],
    },
  ]);
  redis.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.kind = 3;
  await postJson(v.otlpHttpUrl, redis);
  await postJson(
    v.otlpHttpUrl,
    jsonRequest(XSS, [
      {
        traceId: hexId(0xe, 16),
        spanId: hexId(9, 8),
        name: XSS,
        startNs: T0,
        durationNs: MS,
        attributes: [{ key: XSS, value: str(XSS) }],
      },
    ]),
  );
  return v;
}

export const range = `start=${T0 / 1000n - 1000n}&end=${T0 / 1000n + 10_000_000n}`;
