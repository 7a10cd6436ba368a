// `periscope attach PID`: installs @periscope/auto into a running Node process that was started
// without it, through the same-user inspector route: SIGUSR1 opens the target's inspector on
// loopback, one Runtime.evaluate loads the auto entry, and the inspector is closed again.
import { fileURLToPath } from "node:url";
import { InspectorSession } from "./inspector.ts";
import { canSignal, listeningPorts, looksLikeNode, processInfo, sigusr1Disabled } from "./proc.ts";

export type AttachErrorCode =
  | "PERISCOPE_ATTACH_USAGE"
  | "PERISCOPE_ATTACH_NO_PROCESS"
  | "PERISCOPE_ATTACH_NOT_PERMITTED"
  | "PERISCOPE_ATTACH_NOT_NODE"
  | "PERISCOPE_ATTACH_SIGUSR1_DISABLED"
  | "PERISCOPE_ATTACH_NO_INSPECTOR"
  | "PERISCOPE_ATTACH_ALREADY"
  | "PERISCOPE_ATTACH_FAILED";

export class AttachError extends Error {
  readonly code: AttachErrorCode;
  /** For PERISCOPE_ATTACH_ALREADY: where the console already is. */
  readonly address: string | undefined;
  constructor(code: AttachErrorCode, message: string, address?: string) {
    super(message);
    this.code = code;
    this.address = address;
  }
}

export interface AttachOptions {
  /** Where the console listens in the target (default 127.0.0.1:6669). */
  bind?: string;
  /** How long to wait for the inspector and the console (default 5000 ms). */
  timeoutMs?: number;
}

export interface Attached {
  /** host:port of the console now serving in the target. */
  address: string;
}

/** The auto entry this command ships with, loaded into the target by path. */
function autoEntry(): string {
  return fileURLToPath(import.meta.resolve("@periscope/auto"));
}

function attachExpression(bind: string, entry: string): string {
  // Runs in the target. An instance already there (started with --import, or attached before)
  // is reported rather than doubled.
  return `(() => {
    const running = globalThis[Symbol.for("periscope.auto")];
    if (running) return running.ready.then((port) => ({ already: true, via: running.via, bind: running.config.consoleBind, port }));
    globalThis[Symbol.for("periscope.auto.attach")] = { bind: ${JSON.stringify(bind)} };
    const load = process.getBuiltinModule("node:module").createRequire(${JSON.stringify(entry)});
    const auto = load(${JSON.stringify(entry)});
    const h = auto.running();
    return h.ready.then((port) => ({ already: false, via: h.via, bind: h.config.consoleBind, port }));
  })()`;
}

interface EvalResult {
  already: boolean;
  via: string;
  bind: string;
  port: number | undefined;
}

function hostOf(bind: string): string {
  const i = bind.lastIndexOf(":");
  const h = i <= 0 ? "127.0.0.1" : bind.slice(0, i);
  return h === "0.0.0.0" || h === "" ? "127.0.0.1" : h;
}

async function sessionFor(
  pid: number,
  port: number,
  ms: number,
): Promise<InspectorSession | undefined> {
  try {
    const s = await InspectorSession.connect(port, ms);
    if ((await s.evaluate("process.pid", ms)) === pid) return s;
    s.close();
  } catch {
    // not an inspector, or not this process's
  }
  return undefined;
}

export async function attach(pid: number, opts: AttachOptions = {}): Promise<Attached> {
  const bind = opts.bind ?? "127.0.0.1:6669";
  const timeoutMs = opts.timeoutMs ?? 5000;
  if (!Number.isSafeInteger(pid) || pid <= 0)
    throw new AttachError("PERISCOPE_ATTACH_USAGE", `PID must be a positive integer, got ${pid}`);
  if (pid === process.pid)
    throw new AttachError(
      "PERISCOPE_ATTACH_USAGE",
      "cannot attach to the periscope command itself",
    );
  const sig = canSignal(pid);
  if (sig === "missing")
    throw new AttachError(
      "PERISCOPE_ATTACH_NO_PROCESS",
      `no process ${pid}; check the PID (ps, pgrep node)`,
    );
  if (sig === "not-permitted")
    throw new AttachError(
      "PERISCOPE_ATTACH_NOT_PERMITTED",
      `process ${pid} belongs to another user; run periscope attach as that user`,
    );
  const info = processInfo(pid);
  // SIGUSR1 kills most programs that are not Node: refuse unless it is certainly Node.
  if (!looksLikeNode(info))
    throw new AttachError(
      "PERISCOPE_ATTACH_NOT_NODE",
      `process ${pid} (${info.exe ?? "unknown executable"}) is not a Node process; attach works on node only`,
    );
  if (sigusr1Disabled(info))
    throw new AttachError(
      "PERISCOPE_ATTACH_SIGUSR1_DISABLED",
      `process ${pid} was started with --disable-sigusr1, so it cannot be attached to; restart it with node --import @periscope/auto`,
    );

  // An inspector it already has open (node --inspect) is used and left open.
  const before = listeningPorts(pid);
  let session: InspectorSession | undefined;
  for (const p of before ?? [9229]) {
    session = await sessionFor(pid, p, 500);
    if (session !== undefined) break;
  }
  const opened = session === undefined;
  if (session === undefined) {
    process.kill(pid, "SIGUSR1");
    const deadline = Date.now() + timeoutMs;
    let signalled = Date.now();
    while (session === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      // The inspector port may have been taken for a moment (another process being attached,
      // another debugger): Node then gives up on that signal, and tries again on the next one.
      // A signal while the inspector is open does nothing.
      if (Date.now() - signalled >= 1000) {
        if (canSignal(pid) !== "ok") break;
        process.kill(pid, "SIGUSR1");
        signalled = Date.now();
      }
      const after = listeningPorts(pid);
      const fresh =
        after === undefined || before === undefined
          ? [9229]
          : [...after].filter((p) => !before.has(p));
      for (const p of fresh) {
        session = await sessionFor(pid, p, 1000);
        if (session !== undefined) break;
      }
    }
  }
  if (session === undefined)
    throw new AttachError(
      "PERISCOPE_ATTACH_NO_INSPECTOR",
      `process ${pid} did not open its inspector within ${timeoutMs} ms (its own SIGUSR1 handler, or the inspector port in use: see its stderr); restart it with node --import @periscope/auto`,
    );
  try {
    let r: EvalResult;
    try {
      r = (await session.evaluate(attachExpression(bind, autoEntry()), timeoutMs)) as EvalResult;
    } catch (e) {
      throw new AttachError(
        "PERISCOPE_ATTACH_FAILED",
        `loading @periscope/auto into process ${pid} failed: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    const address = r.port === undefined ? undefined : `${hostOf(r.bind)}:${r.port}`;
    if (r.already)
      throw new AttachError(
        "PERISCOPE_ATTACH_ALREADY",
        `process ${pid} already runs @periscope/auto (${r.via === "attach" ? "attached before" : "started with it"})${address === undefined ? " with the console off" : `; its console is at ${address}`}`,
        address,
      );
    if (address === undefined)
      throw new AttachError(
        "PERISCOPE_ATTACH_FAILED",
        `the console could not listen on ${r.bind} in process ${pid} (see its stderr); pass --bind with a free address`,
      );
    return { address };
  } finally {
    if (opened) {
      // The target is left with no open inspector port. inspector.close() from a script while
      // this session is connected can crash the target (nodejs/node#18761: a segfault in about
      // one attach of four here, Node 22 and 24), so the session asks for the inspector's end
      // itself, as its last message, and does not wait for a reply that may never come.
      await session.evaluate("process._debugEnd()", 1000).catch(() => undefined);
    }
    session.close();
  }
}
