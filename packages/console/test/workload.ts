// A small mini-redis-shaped program under the real console-subscriber and runtime: a listener
// task spawning "connection" tasks that take a Semaphore permit and lock a Mutex<Db>. Prints
// "PORT=<n>" once the console server listens. Used by the real-stack tmux test.
import { init } from "@periscope/console-subscriber";
import { Mutex, Semaphore, sleep, spawn } from "@periscope/runtime";

const subscriber = init({ bind: "127.0.0.1:0", publishIntervalMs: 250 });
const port = await subscriber.ready;
process.stdout.write(`PORT=${port}\n`);

const db = new Mutex(new Map<string, number>());
const limit = new Semaphore(250);

async function connection(id: number): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const guard = await db.lock();
    const m = guard.value;
    m.set(`key:${id}`, (m.get(`key:${id}`) ?? 0) + 1);
    guard.release();
    await sleep(10 + (id % 7));
  }
}

spawn(
  async () => {
    for (let id = 0; ; id++) {
      const permit = await limit.acquire();
      spawn(() => connection(id).finally(() => permit.release()), { name: "connection" });
      await sleep(40);
    }
  },
  { name: "listener" },
);

// The parent test kills this process; stdin closing means the test went away.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
