// @periscope/runtime: spawn, timers, Mutex, RwLock, Semaphore, Notify and channels, traced with
// tokio's conventions (runtime.spawn, runtime.resource, waker and state_update events).
export { ClosedError, JoinError, RuntimeError, type RuntimeErrorCode } from "./errors.ts";
export { callerLocation, type Location } from "./location.ts";
export {
  configureRuntime,
  type PollMode,
  pollMode,
  type RuntimeOptions,
  supportsTrackPromises,
} from "./polls.ts";
export { JoinHandle, type SpawnOptions, spawn, type TaskFn } from "./task.ts";
export { currentTask, type Task } from "./task-state.ts";
