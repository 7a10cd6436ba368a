// Runs the console in a terminal: alternate screen, raw keys, resize, a live connection or a
// replay, and a terminal put back the way it was on quit, crash or signal.
import { emitKeypressEvents } from "node:readline";
import type { Update } from "@periscope/console-api";
import { Connection } from "./conn.ts";
import type { Console } from "./console.ts";
import { fromKeypress } from "./keys.ts";
import { type Log, NO_LOG } from "./log.ts";
import { type Recording, Replay } from "./replay.ts";
import { Screen } from "./screen.ts";
import type { Effect } from "./ui.ts";

export interface AppOptions {
  console: Console;
  /** A console-api address to watch, or a recording to play. */
  address?: string;
  recording?: Recording;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** Milliseconds, for replay timing. */
  clock?: () => number;
  /** The console's own diagnostics (--log). */
  log?: Log;
}

/** Updates held while paused against a server that kept sending; past this the oldest apply. */
const MAX_HELD = 10_000;

export function runApp(opts: AppOptions): Promise<number> {
  const { console: con, input, output } = opts;
  const clock = opts.clock ?? (() => performance.now());
  const screen = new Screen(output);
  const log = opts.log ?? NO_LOG;
  const held: Update[] = [];
  let conn: Connection | undefined;
  let replay: Replay | undefined;
  let replayTimer: NodeJS.Timeout | undefined;
  let lastTick = clock();
  let renderQueued = false;
  let finished = false;
  let resolveExit: (code: number) => void = () => {};

  const render = () => {
    if (renderQueued) return;
    renderQueued = true;
    setImmediate(() => {
      renderQueued = false;
      if (!screen.active) return;
      screen.draw(con.frame(output.columns || 80, output.rows || 24));
    });
  };

  const replayStatus = () => {
    if (!replay) return;
    const warning = opts.recording?.warning;
    con.status = {
      ...con.status,
      state: replay.ended ? "ended" : "replay",
      detail: replay.describe(con.ui.paused) + (warning ? `  recording ${warning}` : ""),
    };
  };

  const scheduleReplay = () => {
    if (replayTimer) clearTimeout(replayTimer);
    replayTimer = undefined;
    if (!replay || con.ui.paused || replay.ended) return;
    const wait = Math.min(1000, replay.untilNext() ?? 1000);
    replayTimer = setTimeout(() => {
      const now = clock();
      const due = replay?.advance(now - lastTick) ?? [];
      lastTick = now;
      for (const u of due) con.apply(u);
      replayStatus();
      render();
      scheduleReplay();
    }, wait);
  };

  const run = (effects: Effect[]) => {
    for (const e of effects) {
      switch (e.kind) {
        case "quit":
          log.write("info", "quit");
          finish(0);
          return;
        case "watch-details":
          log.write("debug", `watching the details of task span ${e.spanId}`);
          con.state.details = undefined;
          conn?.watchDetails(e.spanId);
          break;
        case "unwatch-details":
          conn?.unwatchDetails();
          break;
        case "pause":
          conn?.pause();
          if (replay) scheduleReplay();
          break;
        case "resume":
          conn?.resume();
          for (const u of held.splice(0)) con.apply(u);
          lastTick = clock();
          scheduleReplay();
          break;
        case "seek": {
          if (!replay) break;
          const { reset, updates } = replay.seek(e.deltaNs / 1e6);
          if (reset) con.reset();
          for (const u of updates) con.apply(u);
          lastTick = clock();
          scheduleReplay();
          break;
        }
      }
    }
    replayStatus();
  };

  const onKey = (
    str: string | undefined,
    key: { name?: string; sequence?: string; ctrl?: boolean },
  ) => {
    run(con.key(fromKeypress(str, key)));
    render();
  };
  const onResize = () => {
    screen.invalidate();
    render();
  };
  const onSignal = () => finish(130);
  const onCrash = (e: unknown) => {
    log.write("error", `crashed: ${(e as Error)?.stack ?? String(e)}`);
    restore();
    process.stderr.write(`periscope console crashed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  };
  const restore = () => {
    screen.leave();
    if (input.isTTY) input.setRawMode(false);
  };

  function finish(code: number) {
    if (finished) return;
    finished = true;
    if (replayTimer) clearTimeout(replayTimer);
    conn?.close();
    input.off("keypress", onKey);
    output.off("resize", onResize);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    process.off("uncaughtException", onCrash);
    process.off("exit", restore);
    restore();
    input.pause();
    resolveExit(code);
  }

  return new Promise<number>((resolve) => {
    resolveExit = resolve;
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
    process.on("uncaughtException", onCrash);
    process.on("exit", restore);
    emitKeypressEvents(input);
    if (input.isTTY) input.setRawMode(true);
    input.on("keypress", onKey);
    input.resume();
    output.on("resize", onResize);
    screen.enter();
    if (opts.recording) {
      replay = new Replay(opts.recording.updates);
      for (const u of replay.advance(0)) con.apply(u);
      lastTick = clock();
      replayStatus();
      scheduleReplay();
    } else {
      conn = new Connection(opts.address ?? "", {
        update(u, fresh) {
          if (fresh) {
            held.length = 0;
            con.reset();
          }
          if (con.ui.paused && !fresh) {
            held.push(u);
            if (held.length > MAX_HELD) con.apply(held.shift() as Update);
            return;
          }
          con.apply(u);
          render();
        },
        details(d) {
          con.applyDetails(d);
          render();
        },
        status(state, detail) {
          log.write(state === "disconnected" ? "warn" : "info", `${state} ${detail}`.trim());
          con.status = { ...con.status, state, detail };
          render();
        },
      });
      conn.start();
    }
    render();
  });
}
