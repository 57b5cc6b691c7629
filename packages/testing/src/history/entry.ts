/**
 * One line of a history: what a process did or was told about a lock or a
 * leadership, with the time it happened on the host's monotonic clock.
 *
 * - `acquire`: the lock was granted (token: its fencing token);
 * - `lost`: the loss was signalled to the holder (`state$` said `lost`, the
 *   signal aborted, the lock stream errored, a read said it is not held);
 * - `release`: the holder let go, recorded *before* the release is sent, so
 *   that the next holder's `acquire` always comes after it;
 * - `write`: a write to the protected resource, made while believing the
 *   lock (or the leadership) held, with the token it used;
 * - `leader` / `not-leader`: leadership began (token: the term's fencing
 *   token) / ended (token: the term that ended);
 * - `paused` / `resumed` / `killed`: recorded by whoever stopped, continued or
 *   killed the process named in `process` (a test harness), not by the process.
 */
export type HistoryKind =
  | 'acquire'
  | 'lost'
  | 'release'
  | 'write'
  | 'leader'
  | 'not-leader'
  | 'paused'
  | 'resumed'
  | 'killed';

export const HISTORY_KINDS: readonly HistoryKind[] = [
  'acquire',
  'lost',
  'release',
  'write',
  'leader',
  'not-leader',
  'paused',
  'resumed',
  'killed',
];

/** Entries about a whole process rather than one lock or leadership. */
export const PROCESS_KINDS: ReadonlySet<HistoryKind> = new Set(['paused', 'resumed', 'killed']);

/** One recorded event; a history file holds one per line (see `readHistory`). */
export interface HistoryEntry {
  /** Who: a process's name in the history (the harness uses the member id). */
  readonly process: string;
  /** What happened (see HistoryKind). */
  readonly kind: HistoryKind;
  /** The lock name or leadership group; absent on `paused`, `resumed`, `killed`. */
  readonly resource?: string;
  /** Fencing token (lock) or term (leadership). */
  readonly token?: bigint;
  /** Nanoseconds on the host's monotonic clock (see `monotonicNow`). */
  readonly time: bigint;
  /** Order of the entry within its recorder: breaks ties between equal times. */
  readonly seq: number;
  /** Free text: why a loss happened, what a write was. */
  readonly detail?: string;
}

/**
 * The clock of every history: CLOCK_MONOTONIC, read through
 * `process.hrtime.bigint()` (libuv's `uv_hrtime`). On Linux that clock is
 * system-wide, so the timestamps of every process on one host (in one time
 * namespace) are on one axis and can be merged; it never jumps with the
 * wall clock, and it has nanosecond resolution. `performance.timeOrigin +
 * performance.now()` is not used: its origin is the wall clock read at each
 * process's start, so two processes disagree by whatever the wall clock was
 * stepped or slewed between their starts, and a double loses precision.
 */
export function monotonicNow(): bigint {
  return process.hrtime.bigint();
}

/** One JSON line (without the newline); bigints are written as decimal strings. */
export function formatHistoryEntry(entry: HistoryEntry): string {
  const line: Record<string, unknown> = {
    process: entry.process,
    seq: entry.seq,
    time: entry.time.toString(),
    kind: entry.kind,
  };
  if (entry.resource !== undefined) line['resource'] = entry.resource;
  if (entry.token !== undefined) line['token'] = entry.token.toString();
  if (entry.detail !== undefined) line['detail'] = entry.detail;
  return JSON.stringify(line);
}

/** Parses one JSON line written by `formatHistoryEntry`; throws on anything else. */
export function parseHistoryEntry(line: string): HistoryEntry {
  const raw = JSON.parse(line) as Record<string, unknown>;
  const { process, seq, time, kind, resource, token, detail } = raw;
  if (typeof process !== 'string') throw new Error(`history line without a process: ${line}`);
  if (typeof kind !== 'string' || !(HISTORY_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`history line with an unknown kind: ${line}`);
  }
  if (typeof time !== 'string' || !/^\d+$/.test(time)) throw new Error(`history line without a time: ${line}`);
  if (typeof seq !== 'number') throw new Error(`history line without a seq: ${line}`);
  return {
    process,
    kind: kind as HistoryKind,
    time: BigInt(time),
    seq,
    ...(typeof resource === 'string' ? { resource } : {}),
    ...(typeof token === 'string' ? { token: BigInt(token) } : {}),
    ...(typeof detail === 'string' ? { detail } : {}),
  };
}

/** Orders entries by time, then process, then seq: the one order every merge uses. */
export function compareEntries(a: HistoryEntry, b: HistoryEntry): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.process !== b.process) return a.process < b.process ? -1 : 1;
  return a.seq - b.seq;
}

/** Merges histories (each in any order) into one, sorted by `compareEntries`. */
export function mergeHistories(...histories: ReadonlyArray<Iterable<HistoryEntry>>): HistoryEntry[] {
  return histories.flatMap((history) => [...history]).sort(compareEntries);
}
