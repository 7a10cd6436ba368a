// @periscope/console: the live terminal console for console-api servers (tokio-console's
// counterpart). The CLI entry is runConsoleCli; the rest is for embedding, tests and benches.
export { runApp } from "./app.ts";
export { runConsoleCli, USAGE } from "./cli.ts";
export { Connection } from "./conn.ts";
export { describeConnectionError } from "./conn-error.ts";
export { Console, type ConsoleOptions } from "./console.ts";
export { formatDuration, parseDuration } from "./duration.ts";
export { fromKeypress, type Key, key } from "./keys.ts";
export { ALL_LINTS, resolveLints } from "./lints.ts";
export type { AsyncOp, LintId, Resource, Task, TaskState } from "./model.ts";
export { Replay, readRecording } from "./replay.ts";
export { sanitize } from "./sanitize.ts";
export { Screen } from "./screen.ts";
export { ConsoleState, DEFAULT_RETAIN_NS } from "./state.ts";
export { Styles, stripSgr } from "./styles.ts";
export type { Effect, ViewName } from "./ui.ts";
export { renderFrame } from "./views/frame.ts";
export type { Status } from "./views/scene.ts";
