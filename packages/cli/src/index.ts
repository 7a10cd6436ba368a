// The periscope command has no library surface; see src/main.ts.
export {};
