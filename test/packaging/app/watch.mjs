// Connects to a console-api server with the installed @periscope/console-api client and prints,
// as one JSON line, the tasks it reports (name: polls) and the resource kinds, once every task
// named on the command line has been polled at least WATCH_MIN_POLLS times (default 2), or after
// 20 s, to show what it got.
import { createInstrumentClient } from "@periscope/console-api";

const [address, ...want] = process.argv.slice(2);
const minPolls = BigInt(process.env.WATCH_MIN_POLLS ?? 2);
const client = createInstrumentClient(address);
const stream = client.watchUpdates({});
const tasks = new Map(); // name -> polls
const names = new Map(); // task id -> name
const resources = new Set();
const done = (code) => {
  const polls = Object.fromEntries([...tasks].map(([n, p]) => [n, Number(p)]));
  console.log(JSON.stringify({ tasks: polls, resources: [...resources].sort() }));
  stream.cancel();
  client.close();
  process.exit(code);
};
stream.on("data", (update) => {
  for (const t of update.taskUpdate?.newTasks ?? []) {
    for (const f of t.fields) {
      if (f.strName === "task.name" && f.strVal) {
        names.set(t.id.id, f.strVal);
        tasks.set(f.strVal, 0n);
      }
    }
  }
  for (const [id, stats] of update.taskUpdate?.statsUpdate ?? []) {
    const name = names.get(id);
    if (name !== undefined) tasks.set(name, stats.pollStats?.polls ?? 0n);
  }
  for (const r of update.resourceUpdate?.newResources ?? []) resources.add(r.concreteType);
  if (want.every((w) => (tasks.get(w) ?? -1n) >= minPolls)) done(0);
});
stream.on("error", (e) => {
  console.error(`watch: ${e.message}`);
  done(1);
});
setTimeout(() => done(1), 20_000).unref();
