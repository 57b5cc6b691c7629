// A history checker for locks and leadership: processes record what they
// were granted, told and wrote; the checker merges the records and reports
// unsignalled overlaps, stale writes and token regressions; and the
// multi-process harness. See the "History checker" section of
// packages/testing/README.md. Vitest-free: the fault tests the drivers
// register (`historyFaultTests`, ./fault-tests.ts) are in the conformance entry.
export {
  type CheckHistoryOptions,
  checkHistory,
  type Hold,
  type HoldEnding,
  type HistoryCounts,
  type HistoryReport,
  type Overlap,
  type Pause,
  type StaleWrite,
  type TokenRegression,
} from './checker.js';
export { type HistoryEntry, type HistoryKind, mergeHistories, monotonicNow } from './entry.js';
export {
  HistoryWorker,
  HistoryWorkers,
  type HistoryWorkersOptions,
  startHistoryWorkers,
  type WorkerExit,
  type WorkerPartition,
} from './harness.js';
export { continueProcess, stopProcess } from './process-control.js';
export { parseHistory, readHistory } from './read.js';
export { HistoryRecorder, type HistoryOutput, type HistoryRecorderOptions, type RecordFields } from './recorder.js';
export { recordLeadership, recordLock } from './record-rx.js';
export type { HistoryWorkerConfig } from './worker-config.js';
