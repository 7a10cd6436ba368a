// A gRPC error as one short sentence for the header: grpc-js's details ("No connection
// established. Last error: Error: connect ECONNREFUSED ...") say what failed, but not plainly.
import { sanitize } from "./sanitize.ts";

const CODES: Record<string, string> = {
  ECONNREFUSED: "nothing is listening there",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name could not be resolved",
  ETIMEDOUT: "the connection timed out",
  ECONNRESET: "the connection was reset",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  EPIPE: "the connection was closed",
};

/** gRPC status codes with a sentence of their own (the rest keep their first sentence). */
const STATUS: Record<number, string> = {
  1: "the stream was cancelled",
  4: "the server did not answer in time",
  8: "the server is out of resources",
  12: "the server does not speak console-api (no Instrument service there)",
  13: "the server failed",
};

export function describeConnectionError(e: { code?: number; details?: string; message?: string }) {
  const raw = sanitize(e.details || e.message || "");
  const errno = /\b(E[A-Z]{4,})\b/.exec(raw)?.[1];
  if (errno !== undefined && CODES[errno] !== undefined) return `${CODES[errno]} (${errno})`;
  if (e.code !== undefined && STATUS[e.code] !== undefined) return STATUS[e.code] as string;
  if (raw === "") return "connection lost";
  // The first sentence, without grpc-js's "Error: " prefixes.
  const first = raw.replace(/^(\d+ [A-Z_]+: )/, "").split(/\.\s/)[0] ?? raw;
  return first.length > 80 ? `${first.slice(0, 79)}…` : first;
}
