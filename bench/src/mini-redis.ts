// mini-redis vs Debian's redis-server in the same run: throughput and CPU per request under
// redis-benchmark (mini-redis-throughput.ts), then the hostile and heavy clients of
// mini-redis-hostile.ts, each on fresh servers. Each server runs in its own process.
import type { BenchResult, BenchRow } from "./harness.ts";
import { bigRequest, pipelineHog, silentSubscriber } from "./mini-redis-hostile.ts";
import { throughput } from "./mini-redis-throughput.ts";
import { need, redisVersion } from "./redis-servers.ts";

const MB = 1024 * 1024;

export async function run(args: string[]): Promise<BenchResult> {
  need("redis-server");
  need("redis-benchmark");
  const rounds = Number(args[args.indexOf("--rounds") + 1]) || 5;
  const requests = Number(args[args.indexOf("--requests") + 1]) || 200_000;

  const rows: BenchRow[] = [];
  const absolute: string[] = [];
  const speed = await throughput(rounds, requests);
  rows.push(...speed.rows);
  absolute.push(...speed.notes);

  const hogOurs = await pipelineHog("mini-redis");
  const hogTheirs = await pipelineHog("redis-server");
  const ping = hogOurs.pingMaxMs / hogTheirs.pingMaxMs;
  rows.push({
    what: "other clients' PING max while one client pipelines 1000 GETs of 1 MiB unread",
    peer: "redis-server",
    ours: hogOurs.pingMaxMs,
    theirs: hogTheirs.pingMaxMs,
    unit: "ms",
    ratio: ping,
    goal: "<= 1.5x",
    met: ping <= 1.5,
  });
  rows.push(
    memoryRow("RSS 5 s after that client disconnects", hogOurs.rssAfter, hogTheirs.rssAfter, 100),
  );
  absolute.push(
    `pipelining client: RSS before ${mib(hogOurs.rssBefore)} / ${mib(hogTheirs.rssBefore)} MiB, peak ${mib(hogOurs.peak)} / ${mib(hogTheirs.peak)} MiB (ours / redis-server)`,
  );
  for (const size of [64 * 1024, 1024]) {
    const subOurs = await silentSubscriber("mini-redis", size);
    const subTheirs = await silentSubscriber("redis-server", size);
    const row = memoryRow(
      `peak RSS, one non-reading subscriber cut at 32 MiB (${size / 1024} KiB messages)`,
      subOurs.peak,
      subTheirs.peak,
      50,
    );
    row.met &&= subOurs.cut;
    rows.push(row);
    absolute.push(
      `${size / 1024} KiB messages: cut after ${subOurs.published} / ${subTheirs.published} messages${subOurs.cut ? "" : " (ours never cut it)"}`,
    );
  }

  const bigOurs = await bigRequest("mini-redis");
  const bigTheirs = await bigRequest("redis-server");
  rows.push(
    memoryRow(
      "RSS 5 s after a 1.5 GB request (DEL of three 500 MB keys)",
      bigOurs.rssAfter,
      bigTheirs.rssAfter,
      100,
    ),
  );
  absolute.push(
    `1.5 GB request: peak RSS ${mib(bigOurs.peak)} / ${mib(bigTheirs.peak)} MiB (ours / redis-server)`,
  );

  return {
    name: "mini-redis",
    title: "mini-redis vs redis-server (redis-benchmark, hostile and heavy clients)",
    rows,
    notes: [
      "Both servers run in their own process on the same machine as redis-benchmark; for the req/s rows mini-redis logs at its default level (info), for the hostile clients at warn.",
      "mini-redis runs each connection as a @periscope/runtime task (Db Mutex, client-limit Semaphore) with no console attached: the runtime's disabled path.",
      "Hostile clients, each on fresh servers: three clients PING in a loop while a fourth writes 1000 GETs of a 1 MiB value at once and never reads, for 4 s; it then disconnects and RSS is read 5 s later. A subscriber that never reads gets messages (16 PUBLISH per write) until the server cuts it; peak RSS is the process's VmHWM. One client sends a 1.5 GB DEL; RSS is read 5 s after the reply.",
      `Peer: ${redisVersion()}, no persistence, default limits (client-output-buffer-limit pubsub 32mb 8mb 60).`,
      ...absolute,
    ],
  };
}

function mib(bytes: number): string {
  return (bytes / MB).toFixed(0);
}

/** A memory row in MiB whose goal is "at most 2x the peer's plus `slack` MiB". */
function memoryRow(what: string, ours: number, theirs: number, slack: number): BenchRow {
  return {
    what,
    peer: "redis-server",
    ours: ours / MB,
    theirs: theirs / MB,
    unit: "MiB",
    ratio: ours / theirs,
    goal: `<= 2x + ${slack} MiB`,
    met: ours <= 2 * theirs + slack * MB,
  };
}
