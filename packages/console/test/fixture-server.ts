// A console-api server with fixture data for end-to-end tests and the idle-CPU benchmark: the
// mini-redis snapshot (or N synthetic tasks), then stats updates on an interval.
import { Server, ServerCredentials, type ServerWritableStream } from "@grpc/grpc-js";
import {
  type InstrumentServer,
  InstrumentService,
  type TaskDetails,
  type TaskDetailsRequest,
  type Update,
} from "@periscope/console-api";
import {
  details,
  miniRedisTasks,
  periscopeExtras,
  resourceUpdate,
  type TaskSpec,
  taskUpdate,
} from "./fixtures.ts";

export interface FixtureServer {
  address: string;
  port: number;
  pauses: number;
  resumes: number;
  detailRequests: bigint[];
  close(): Promise<void>;
}

export function syntheticTasks(n: number): TaskSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    name: i % 10 === 0 ? "listener" : "connection",
    file: "src/server.ts",
    line: 40 + (i % 50),
    createdMs: i,
    polls: 1 + (i % 997),
    busyMs: (i % 113) / 10,
    schedMs: (i % 17) / 10,
    lastPollStartedMs: 9000 + (i % 900),
    lastPollEndedMs: 9000.5 + (i % 900),
    lastWakeMs: i % 3 === 0 ? 9999 : 8000,
    wakerClones: 1,
  }));
}

export async function startFixtureServer(
  opts: { tasks?: TaskSpec[]; intervalMs?: number; port?: number } = {},
): Promise<FixtureServer> {
  const tasks = opts.tasks ?? miniRedisTasks();
  const intervalMs = opts.intervalMs ?? 1000;
  const server = new Server();
  const streams = new Set<ServerWritableStream<unknown, Update>>();
  const timers = new Set<NodeJS.Timeout>();
  const state: FixtureServer = {
    address: "",
    port: 0,
    pauses: 0,
    resumes: 0,
    detailRequests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of streams) s.end();
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 500).unref();
      }),
  };
  const impl: InstrumentServer = {
    watchUpdates(call) {
      streams.add(call);
      let now = 10_000;
      call.write(taskUpdate(now, tasks));
      call.write(resourceUpdate(now));
      call.write(periscopeExtras(now));
      const timer = setInterval(() => {
        now += intervalMs;
        // Every task was polled once more since the last update.
        const next = tasks.map((t) => ({ ...t, polls: t.polls + (now - 10_000) / intervalMs }));
        call.write(taskUpdate(now, next, true));
      }, intervalMs);
      timers.add(timer);
      call.on("cancelled", () => {
        clearInterval(timer);
        streams.delete(call);
      });
    },
    watchTaskDetails(call: ServerWritableStream<TaskDetailsRequest, TaskDetails>) {
      const id = call.request.id?.id ?? 0n;
      state.detailRequests.push(id);
      call.write(
        details(Number(id), [900, 1_500, 20_000, 40_000, 300_000, 2e6], [200, 400, 5_000]),
      );
    },
    watchState(call) {
      call.write({ temporality: 0 });
    },
    pause(_call, cb) {
      state.pauses++;
      cb(null, {});
    },
    resume(_call, cb) {
      state.resumes++;
      cb(null, {});
    },
  };
  server.addService(InstrumentService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  state.port = port;
  state.address = `http://127.0.0.1:${port}`;
  return state;
}

// `node test/fixture-server.ts [N]` serves N synthetic tasks until interrupted (manual runs).
if (import.meta.main) {
  const n = Number(process.argv[2] ?? 0);
  const s = await startFixtureServer(n > 0 ? { tasks: syntheticTasks(n) } : {});
  console.log(s.address);
}
