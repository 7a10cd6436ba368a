// Column headers of the three tables, shared by the views and the sort keys.

export const TASK_COLUMNS = [
  "Warn",
  "ID",
  "State",
  "Name",
  "Total",
  "Busy",
  "Sched",
  "Idle",
  "Polls",
  "Kind",
  "Location",
  "Fields",
] as const;

export const RESOURCE_COLUMNS = [
  "ID",
  "Parent",
  "Kind",
  "Total",
  "Target",
  "Type",
  "Visibility",
  "Location",
  "Attributes",
] as const;

export const ASYNC_OP_COLUMNS = [
  "ID",
  "Parent",
  "Task",
  "Source",
  "Total",
  "Busy",
  "Idle",
  "Polls",
  "Attributes",
] as const;
