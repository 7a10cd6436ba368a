// A ready @grpc/grpc-js client for the Instrument service, plaintext h2c like tokio-console uses.
// Accepts the addresses tokio-console accepts ("http://127.0.0.1:6669") as well as "host:port".
import { type ClientOptions, credentials } from "@grpc/grpc-js";
import { InstrumentClient } from "./generated/instrument.ts";

/** The address console-subscriber (Rust and ours) listens on by default. */
export const DEFAULT_CONSOLE_ADDRESS = "http://127.0.0.1:6669";

/** Upstream console-subscriber keeps messages under 4 MiB; we accept more in case a peer does not. */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/** Turns "http://host:port" / "host:port" / "[::1]:port" into a grpc-js target; throws on junk. */
export function grpcTarget(address: string): string {
  const trimmed = address.trim();
  if (trimmed.startsWith("https://")) {
    throw new Error(
      "PERISCOPE_CONSOLE_TLS: TLS console addresses are not supported; use http://host:port",
    );
  }
  const bare = trimmed.startsWith("http://") ? trimmed.slice("http://".length) : trimmed;
  const hostPort = bare.replace(/\/+$/, "");
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(hostPort)) {
    throw new Error(
      `PERISCOPE_CONSOLE_ADDRESS: "${JSON.stringify(address).slice(1, -1)}" is not an address; use http://host:port, e.g. ${DEFAULT_CONSOLE_ADDRESS}`,
    );
  }
  return hostPort;
}

/** Creates a client; call `client.close()` when done. */
export function createInstrumentClient(
  address: string = DEFAULT_CONSOLE_ADDRESS,
  options: Partial<ClientOptions> = {},
): InstrumentClient {
  return new InstrumentClient(grpcTarget(address), credentials.createInsecure(), {
    "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
    ...options,
  });
}
