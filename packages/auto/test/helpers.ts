// Test helpers: start a fixture app as a child process (with or without --import
// @periscope/auto), pick a free port, and follow the console's gRPC stream into a plain view.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import {
  type AsyncOp,
  type AsyncOpStats,
  createInstrumentClient,
  type Field,
  type InstrumentClient,
  type Resource,
  type ResourceStats,
  type Task,
  type TaskStats,
  type Update,
} from "@periscope/console-api";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, "close");
  return port;
}

export interface App {
  proc: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `node [--import @periscope/auto] FIXTURE` and waits for its "listening PORT" line. */
export async function startApp(
  fixture: string,
  opts: { auto?: boolean; env?: Record<string, string>; node?: string } = {},
): Promise<App> {
  const args = opts.auto === false ? [] : ["--import", "@periscope/auto"];
  const proc = spawn(opts.node ?? process.execPath, [...args, `${FIXTURES}${fixture}`], {
    env: { ...process.env, PERISCOPE_CONSOLE_PUBLISH_INTERVAL: "100ms", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${fixture} did not start: ${err}`)), 20_000);
    proc.stdout?.on("data", () => {
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`${fixture} exited with ${code}: ${err}`));
    });
  });
  return {
    proc,
    port,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      await once(proc, "exit");
    },
  };
}

/** A field's value as text (console fields are typed: str, u64, i64, bool, debug). */
export function fieldText(fields: readonly Field[], name: string): string | undefined {
  const f = fields.find((x) => x.strName === name);
  if (f === undefined) return undefined;
  const v = f.strVal ?? f.u64Val ?? f.i64Val ?? f.boolVal ?? f.debugVal;
  return v === undefined ? undefined : String(v);
}

/** What a console client has seen so far, by id. */
export class View {
  readonly tasks = new Map<bigint, { task: Task; stats: TaskStats | undefined }>();
  readonly resources = new Map<bigint, { resource: Resource; stats: ResourceStats | undefined }>();
  readonly asyncOps = new Map<bigint, { op: AsyncOp; stats: AsyncOpStats | undefined }>();
  updates = 0;
  readonly #client: InstrumentClient;
  #stream: { cancel(): void } | undefined;
  #closed = false;

  constructor(address: string) {
    this.#client = createInstrumentClient(address);
    this.#watch();
  }

  // The app may print its port before the console listens: retry until the stream is up.
  #watch(): void {
    if (this.#closed) return;
    const s = this.#client.watchUpdates({});
    s.on("data", (u: Update) => this.#apply(u));
    s.on("error", () => {
      if (this.updates === 0) setTimeout(() => this.#watch(), 100);
    });
    this.#stream = s;
  }

  close(): void {
    this.#closed = true;
    this.#stream?.cancel();
    this.#client.close();
  }

  #apply(u: Update): void {
    this.updates++;
    const tu = u.taskUpdate;
    for (const t of tu?.newTasks ?? []) {
      const id = t.id?.id as bigint;
      this.tasks.set(id, { task: t, stats: this.tasks.get(id)?.stats });
    }
    for (const [id, s] of tu?.statsUpdate ?? []) {
      const e = this.tasks.get(id);
      if (e) e.stats = s;
    }
    for (const r of u.resourceUpdate?.newResources ?? []) {
      const id = r.id?.id as bigint;
      this.resources.set(id, { resource: r, stats: this.resources.get(id)?.stats });
    }
    for (const [id, s] of u.resourceUpdate?.statsUpdate ?? []) {
      const e = this.resources.get(id);
      if (e) e.stats = s;
    }
    for (const o of u.asyncOpUpdate?.newAsyncOps ?? []) {
      const id = o.id?.id as bigint;
      this.asyncOps.set(id, { op: o, stats: this.asyncOps.get(id)?.stats });
    }
    for (const [id, s] of u.asyncOpUpdate?.statsUpdate ?? []) {
      const e = this.asyncOps.get(id);
      if (e) e.stats = s;
    }
  }

  tasksNamed(name: string): { task: Task; stats: TaskStats | undefined }[] {
    return [...this.tasks.values()].filter((e) => fieldText(e.task.fields, "task.name") === name);
  }

  /** The task whose runtime task id (field task.id) is `id`. */
  taskById(id: string): { task: Task; stats: TaskStats | undefined } | undefined {
    for (const e of this.tasks.values()) if (fieldText(e.task.fields, "task.id") === id) return e;
    return undefined;
  }

  resourcesOfType(t: string): { resource: Resource; stats: ResourceStats | undefined }[] {
    return [...this.resources.values()].filter((e) => e.resource.concreteType === t);
  }
}

export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
