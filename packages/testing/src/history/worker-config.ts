/** What a history worker does; the harness passes it as JSON in `TOOZ_HISTORY_WORKER`. */
export interface HistoryWorkerConfig {
  /** The backend URL given to `connect(url, { memberId, ttl, namespace })`. */
  readonly url: string;
  /** Its member id, also its process name in the history. */
  readonly memberId: string;
  /** The history file this worker appends to. */
  readonly output: string;
  /** ms: core's `ttl` option (lock, membership and leader TTLs). */
  readonly ttl?: number;
  /** core's `namespace` option. */
  readonly namespace?: string;
  /** The lock to take turns on, or null for none. */
  readonly lock: string | null;
  /** The leadership to stand for, or null for none. */
  readonly leadership: string | null;
  /** At most this many acquisitions. */
  readonly rounds: number;
  /** ms: no new acquisition, leader write or term after this long (then the worker closes and exits). */
  readonly duration: number;
  /** ms: how long one acquire waits at most. */
  readonly wait: number;
  /** Protected writes per hold. */
  readonly writes: number;
  /** ms between two writes (and before the first). */
  readonly writeInterval: number;
  /** ms between a release and the next acquire. */
  readonly pauseBetween: number;
  /** Leader writes per term before standing down (0: never stand down). */
  readonly leaderWrites: number;
  /** ms between two leader writes. */
  readonly leaderWriteInterval: number;
}

export const HISTORY_WORKER_ENV = 'TOOZ_HISTORY_WORKER';

/** A line a worker prints on stdout once connected (history entries are the other lines). */
export const READY_LINE = '{"worker":"ready"}';
