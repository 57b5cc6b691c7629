// A history checker for locks and leadership: processes record what they
// were granted, told and wrote; the checker merges the records and reports
// unsignalled overlaps, stale writes and token regressions; and the
// multi-process fault tests the server-backed drivers register
// (`historyFaultTests`). See the "History checker" section of
// packages/testing/README.md.
export {
  type CheckHistoryOptions,
  checkHistory,
  type Hold,
  type HoldEnding,
  type HistoryCounts,
  type HistoryReport,
  historyResources,
  type Overlap,
  type Pause,
  type StaleWrite,
  type TokenRegression,
} from './checker.js';
export {
  compareEntries,
  formatHistoryEntry,
  type HistoryEntry,
  type HistoryKind,
  mergeHistories,
  monotonicNow,
  parseHistoryEntry,
} from './entry.js';
export {
  type HistoryFaultServer,
  type HistoryFaultTarget,
  historyFaultTests,
  type StoppedHolder,
} from './fault-tests.js';
export {
  HISTORY_WORKER_SCRIPT,
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
