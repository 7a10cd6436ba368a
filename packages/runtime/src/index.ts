// @periscope/runtime: spawn, timers, Mutex, RwLock, Semaphore, Notify and channels, traced with
// tokio's conventions (runtime.spawn, runtime.resource, waker and state_update events).
export { BroadcastReceiver, BroadcastSender, broadcast, LaggedError } from "./broadcast.ts";
export { type Clock, ManualClock, realClock } from "./clock.ts";
export { ClosedError, JoinError, RuntimeError, type RuntimeErrorCode } from "./errors.ts";
export { type Caller, callerLocation, type Location, siteTable } from "./location.ts";
export {
  channel,
  Receiver,
  Sender,
  type TryRecv,
  type UnboundedReceiver,
  UnboundedSender,
  unboundedChannel,
} from "./mpsc.ts";
export { Mutex, MutexGuard } from "./mutex.ts";
export { type NodeHandleOptions, watchNodeHandles } from "./node-handles.ts";
export { Notify } from "./notify.ts";
export { OneshotReceiver, OneshotSender, oneshot } from "./oneshot.ts";
export { OpenTask, type OpenTaskOptions, openTask } from "./open-task.ts";
export {
  configureRuntime,
  type PollMode,
  pollMode,
  type RuntimeOptions,
  supportsTrackPromises,
} from "./polls.ts";
export {
  AsyncOp,
  Resource,
  type ResourceOptions,
  type UpdateOp,
} from "./resource.ts";
export { RwLock, RwLockReadGuard, RwLockWriteGuard } from "./rwlock.ts";
export { type AcquireOptions, MAX_PERMITS, Semaphore, SemaphorePermit } from "./semaphore.ts";
export { JoinHandle, type SpawnOptions, spawn, spawnAt, type TaskFn } from "./task.ts";
export { currentTask, type Task } from "./task-state.ts";
export {
  Interval,
  type IntervalOptions,
  interval,
  type MissedTickBehavior,
  sleep,
  TimeoutError,
  type TimerOptions,
  timeout,
  yieldNow,
} from "./time.ts";
export { WatchReceiver, WatchSender, watch } from "./watch.ts";
